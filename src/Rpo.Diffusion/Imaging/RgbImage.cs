namespace Rpo.Diffusion.Imaging;

/// <summary>
/// An 8-bit RGB image, rows top to bottom, pixels interleaved R, G, B: the in-memory form of
/// <c>PIL.Image.convert("RGB")</c>, on which every resize and processor step works.
/// </summary>
public sealed class RgbImage
{
    public RgbImage(int width, int height, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.LongLength != (long)width * height * 3)
            throw new ArgumentException($"{width}x{height} RGB needs {(long)width * height * 3} bytes, got {pixels.LongLength}.", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public RgbImage(int width, int height) : this(width, height, new byte[checked(width * height * 3)]) { }

    public int Width { get; }
    public int Height { get; }

    /// <summary>Row-major interleaved RGB bytes, length Width * Height * 3.</summary>
    public byte[] Pixels { get; }

    public int Stride => Width * 3;

    public (byte R, byte G, byte B) this[int x, int y]
    {
        get
        {
            int o = (y * Width + x) * 3;
            return (Pixels[o], Pixels[o + 1], Pixels[o + 2]);
        }
    }

    /// <summary>
    /// The rectangle [left, left + width) x [top, top + height); parts outside the image are zero (black),
    /// which is how transformers' <c>center_crop</c> pads an image smaller than the crop.
    /// </summary>
    public RgbImage Crop(int left, int top, int width, int height)
    {
        var result = new RgbImage(width, height);
        int x0 = Math.Max(left, 0), x1 = Math.Min(left + width, Width);
        if (x1 <= x0) return result;
        for (int y = Math.Max(top, 0); y < Math.Min(top + height, Height); y++)
            Buffer.BlockCopy(Pixels, (y * Width + x0) * 3, result.Pixels, ((y - top) * width + (x0 - left)) * 3, (x1 - x0) * 3);
        return result;
    }

    /// <summary>
    /// transformers' <c>center_crop</c> (image_transforms.py): top = (h - ch) // 2, left = (w - cw) // 2 with Python
    /// floor division; an image smaller than the crop is first centred on a zero canvas of max(size, crop) at
    /// (canvas - size) // 2 and then sliced, so for odd differences the result can be one pixel short of the crop,
    /// exactly as transformers returns it.
    /// </summary>
    public RgbImage CenterCrop(int cropWidth, int cropHeight)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cropWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cropHeight);
        var (top, rows) = CropSpan(Height, cropHeight);
        var (left, cols) = CropSpan(Width, cropWidth);
        if (top == 0 && left == 0 && rows == Height && cols == Width) return this;
        return Crop(left, top, cols, rows);
    }

    /// <summary>Start (in source coordinates, may be negative) and length of transformers' crop along one axis.</summary>
    static (int Start, int Length) CropSpan(int size, int crop)
    {
        int start = FloorDiv(size - crop, 2);
        if (start >= 0 && start + crop <= size) return (start, crop);
        // Padding path: canvas = max(crop, size), the image sits at pad; crop bounds move by pad and are clipped to the canvas.
        int canvas = Math.Max(crop, size);
        int pad = FloorDiv(canvas - size, 2);
        int from = Math.Max(0, start + pad), to = Math.Min(canvas, start + crop + pad);
        return (from - pad, to - from);
    }

    static int FloorDiv(int a, int b) => (int)Math.Floor((double)a / b);

    public RgbImage Clone() => new(Width, Height, (byte[])Pixels.Clone());
}
