namespace Rpo.Diffusion.Imaging;

/// <summary>
/// The EXIF Orientation tag (0x0112) and Pillow's <c>ImageOps.exif_transpose</c> for it: phones store the sensor
/// image and record how to turn it; a subject photo must be upright before it is cropped and scored.
/// </summary>
public static class ExifOrientation
{
    /// <summary>The orientation 1..8 from a TIFF-structured EXIF block ("II*\0" / "MM\0*" header), or 1 when absent or unreadable.</summary>
    public static int Read(ReadOnlySpan<byte> tiff)
    {
        if (tiff.Length < 8) return 1;
        bool little;
        if (tiff[0] == 'I' && tiff[1] == 'I') little = true;
        else if (tiff[0] == 'M' && tiff[1] == 'M') little = false;
        else return 1;
        int U16(ReadOnlySpan<byte> b, int o) => little ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1];
        long U32(ReadOnlySpan<byte> b, int o) => little
            ? b[o] | ((long)b[o + 1] << 8) | ((long)b[o + 2] << 16) | ((long)b[o + 3] << 24)
            : ((long)b[o] << 24) | ((long)b[o + 1] << 16) | ((long)b[o + 2] << 8) | b[o + 3];
        if (U16(tiff, 2) != 42) return 1;
        long ifd = U32(tiff, 4);
        if (ifd < 8 || ifd + 2 > tiff.Length) return 1;
        int count = U16(tiff, (int)ifd);
        for (int i = 0; i < count; i++)
        {
            int e = (int)ifd + 2 + 12 * i;
            if (e + 12 > tiff.Length) return 1;
            if (U16(tiff, e) != 0x0112) continue;
            int type = U16(tiff, e + 2);
            int value = type == 3 ? U16(tiff, e + 8) : type == 4 ? (int)U32(tiff, e + 8) : 1;
            return value is >= 1 and <= 8 ? value : 1;
        }
        return 1;
    }

    /// <summary>Turns the image upright for orientation 1..8 (2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 clockwise, 7 transverse, 8 rotate 90 anticlockwise).</summary>
    public static RgbImage Apply(RgbImage image, int orientation)
    {
        ArgumentNullException.ThrowIfNull(image);
        int w = image.Width, h = image.Height;
        // For each output pixel: the source pixel, written as a map (x, y) -> (sx, sy) over the output size.
        Func<int, int, (int, int)>? map = orientation switch
        {
            2 => (x, y) => (w - 1 - x, y),
            3 => (x, y) => (w - 1 - x, h - 1 - y),
            4 => (x, y) => (x, h - 1 - y),
            5 => (x, y) => (y, x),
            6 => (x, y) => (y, h - 1 - x),
            7 => (x, y) => (w - 1 - y, h - 1 - x),
            8 => (x, y) => (w - 1 - y, x),
            _ => null,
        };
        if (map == null) return image;
        bool swap = orientation >= 5;
        int ow = swap ? h : w, oh = swap ? w : h;
        var result = new RgbImage(ow, oh);
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
            {
                var (sx, sy) = map(x, y);
                Buffer.BlockCopy(image.Pixels, (sy * w + sx) * 3, result.Pixels, (y * ow + x) * 3, 3);
            }
        return result;
    }
}
