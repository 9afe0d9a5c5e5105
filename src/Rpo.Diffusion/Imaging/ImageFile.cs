using System.Buffers.Binary;
using StbImageSharp;

namespace Rpo.Diffusion.Imaging;

/// <summary>
/// Reads image files as <c>PIL.Image.open(path).convert("RGB")</c> does (Pillow 9.4): grayscale becomes R = G = B,
/// alpha is dropped with the stored colour kept (no premultiplication, no compositing), palettes are expanded,
/// JPEG decodes like libjpeg-turbo. The format is taken from the file's bytes, not its name.
/// </summary>
public static class ImageFile
{
    /// <summary>
    /// Reads one file. <paramref name="applyExifOrientation"/> turns photos upright as <c>ImageOps.exif_transpose</c>
    /// (product use); the reference pre-processing applies none. Throws <see cref="ImageDecodeException"/> naming the
    /// file for anything that is not a readable image.
    /// </summary>
    public static RgbImage ReadRgb(string path, bool applyExifOrientation = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        var bytes = File.ReadAllBytes(path);
        try
        {
            return DecodeRgb(bytes, applyExifOrientation);
        }
        catch (ImageDecodeException e)
        {
            throw new ImageDecodeException($"{Path.GetFileName(path)}: {e.Message}", e);
        }
    }

    public static RgbImage DecodeRgb(byte[] data, bool applyExifOrientation = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        var format = Detect(data);
        byte[]? exif = null;
        RgbImage image = format switch
        {
            ImageFormat.Jpeg => JpegDecoder.Decode(data, out exif),
            ImageFormat.Png => DecodePng(data, out exif),
            ImageFormat.Bmp or ImageFormat.Gif => DecodeWithStb(data, format),
            _ => throw new ImageDecodeException(data.Length == 0
                ? "empty file, not an image."
                : "not an image in a supported format (PNG, JPEG, BMP, GIF)."),
        };
        if (applyExifOrientation && exif != null)
            image = ExifOrientation.Apply(image, ExifOrientation.Read(exif));
        return image;
    }

    public enum ImageFormat { Unknown, Jpeg, Png, Bmp, Gif }

    /// <summary>
    /// Pillow refuses images over twice <c>Image.MAX_IMAGE_PIXELS</c> (2 * 89,478,485) as decompression bombs; so do we,
    /// before allocating anything for them.
    /// </summary>
    public const long MaxPixels = 2L * 89_478_485;

    internal static void CheckSize(long width, long height, string format)
    {
        if (width * height > MaxPixels)
            throw new ImageDecodeException($"{format}: {width}x{height} exceeds the limit of {MaxPixels} pixels (a possible decompression bomb).");
    }

    public static ImageFormat Detect(ReadOnlySpan<byte> data)
    {
        if (JpegDecoder.IsJpeg(data)) return ImageFormat.Jpeg;
        if (data.Length >= 8 && data[..8].SequenceEqual(PngSignature)) return ImageFormat.Png;
        if (data.Length >= 6 && data[0] == 'G' && data[1] == 'I' && data[2] == 'F' && data[3] == '8') return ImageFormat.Gif;
        if (data.Length >= 26 && data[0] == 'B' && data[1] == 'M') return ImageFormat.Bmp;
        return ImageFormat.Unknown;
    }

    static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    static RgbImage DecodePng(byte[] data, out byte[]? exif)
    {
        exif = null;
        int bitDepth = 0, colorType = -1;
        bool sawIend = false;
        // Walk the chunks: the header for what Pillow would do differently, eXIf for orientation, IEND for truncation.
        for (int p = 8; p + 8 <= data.Length;)
        {
            long len = ((long)data[p] << 24) | ((long)data[p + 1] << 16) | ((long)data[p + 2] << 8) | data[p + 3];
            var type = System.Text.Encoding.ASCII.GetString(data, p + 4, 4);
            if (p + 12 + len > data.Length) break;
            if (type == "IHDR" && len >= 13)
            {
                bitDepth = data[p + 16];
                colorType = data[p + 17];
                CheckSize(BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(p + 8)), BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(p + 12)), "PNG");
            }
            else if (type == "eXIf" && exif == null) exif = data.AsSpan(p + 8, (int)len).ToArray();
            else if (type == "IEND") { sawIend = true; break; }
            p += 12 + (int)len;
        }
        if (colorType < 0) throw new ImageDecodeException("PNG: no IHDR chunk.");
        if (!sawIend) throw new ImageDecodeException("PNG: the file is truncated (no IEND chunk).");
        // Pillow opens 16-bit grayscale as mode I and its RGB conversion clips at 255 instead of keeping the high byte.
        if (bitDepth == 16 && colorType is 0 or 4)
            throw new ImageDecodeException("PNG: 16-bit grayscale is not supported.");
        return DecodeWithStb(data, ImageFormat.Png);
    }

    static RgbImage DecodeWithStb(byte[] data, ImageFormat format)
    {
        ImageResult result;
        try
        {
            result = ImageResult.FromMemory(data, ColorComponents.RedGreenBlue);
        }
        catch (Exception e) when (e is InvalidOperationException or IndexOutOfRangeException or ArgumentException or OverflowException)
        {
            throw new ImageDecodeException($"{format}: corrupt or truncated image ({e.Message}).", e);
        }
        if (result?.Data == null || result.Width <= 0 || result.Height <= 0)
            throw new ImageDecodeException($"{format}: could not be decoded.");
        if (result.Data.Length != result.Width * result.Height * 3)
            throw new ImageDecodeException($"{format}: decoder returned {result.Data.Length} bytes for {result.Width}x{result.Height} RGB.");
        return new RgbImage(result.Width, result.Height, result.Data);
    }
}
