namespace Rpo.Diffusion.Imaging;

/// <summary>
/// Tiles images row by row into one picture: the published model's grid.png (near-square layout) and <c>rpo eval</c>'s
/// contact sheet (one row per prompt, so a fixed column count).
/// </summary>
public static class ImageGrid
{
    /// <param name="columns">images per row; null picks a near-square layout</param>
    public static RgbImage Compose(IReadOnlyList<RgbImage> images, int? columns = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
        {
            throw new ArgumentException("A grid needs at least one image.", nameof(images));
        }
        if (columns is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(columns), columns, "A grid needs at least one column.");
        }

        var cols = columns ?? (int)Math.Ceiling(Math.Sqrt(images.Count));
        var rows = (images.Count + cols - 1) / cols;
        var cellWidth = images.Max(i => i.Width);
        var cellHeight = images.Max(i => i.Height);
        var grid = new RgbImage(cellWidth * cols, cellHeight * rows);
        for (var n = 0; n < images.Count; n++)
        {
            var image = images[n];
            var left = n % cols * cellWidth;
            var top = n / cols * cellHeight;
            for (var y = 0; y < image.Height; y++)
            {
                Buffer.BlockCopy(image.Pixels, y * image.Stride, grid.Pixels, ((top + y) * grid.Width + left) * 3, image.Stride);
            }
        }

        return grid;
    }
}
