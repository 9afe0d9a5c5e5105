using Rpo.Diffusion.Imaging;

namespace Rpo.Pipeline.Orchestration;

/// <summary>Tiles images row by row into one picture (the published model's grid.png), in a near-square layout.</summary>
public static class ImageGrid
{
    public static RgbImage Compose(IReadOnlyList<RgbImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
        {
            throw new ArgumentException("A grid needs at least one image.", nameof(images));
        }

        var columns = (int)Math.Ceiling(Math.Sqrt(images.Count));
        var rows = (images.Count + columns - 1) / columns;
        var cellWidth = images.Max(i => i.Width);
        var cellHeight = images.Max(i => i.Height);
        var grid = new RgbImage(cellWidth * columns, cellHeight * rows);
        for (var n = 0; n < images.Count; n++)
        {
            var image = images[n];
            var left = n % columns * cellWidth;
            var top = n / columns * cellHeight;
            for (var y = 0; y < image.Height; y++)
            {
                Buffer.BlockCopy(image.Pixels, y * image.Stride, grid.Pixels, ((top + y) * grid.Width + left) * 3, image.Stride);
            }
        }

        return grid;
    }
}
