namespace Rpo.Diffusion.Imaging;

/// <summary>
/// A port of Pillow 9.4's <c>Image.resize(size, filter)</c> for 8-bit RGB (libImaging/Resample.c and the nearest
/// path of Geometry.c), bit for bit: a horizontal then a vertical separable pass, each rounded and clamped to 8 bits,
/// the kernel support widened by the downscale factor (antialiasing), weights in 22-bit fixed point.
/// Every Hugging Face image processor resizes through PIL, so this is what makes pixel values match.
/// </summary>
public static class PillowResize
{
    const int PrecisionBits = 32 - 8 - 2;

    public static RgbImage Resize(RgbImage image, int width, int height, ResampleFilter filter)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (width == image.Width && height == image.Height) return image.Clone();
        if (filter == ResampleFilter.Nearest) return ResizeNearest(image, width, height);

        var (support, kernel) = Filter(filter);
        var result = image;
        // Pillow runs the horizontal pass first, and each pass only when its dimension changes.
        if (width != image.Width)
            result = HorizontalPass(result, width, Coefficients(image.Width, width, support, kernel));
        if (height != image.Height)
            result = VerticalPass(result, height, Coefficients(image.Height, height, support, kernel));
        return result;
    }

    static (double Support, Func<double, double> Kernel) Filter(ResampleFilter filter) => filter switch
    {
        ResampleFilter.Box => (0.5, BoxFilter),
        ResampleFilter.Bilinear => (1.0, BilinearFilter),
        ResampleFilter.Hamming => (1.0, HammingFilter),
        ResampleFilter.Bicubic => (2.0, BicubicFilter),
        ResampleFilter.Lanczos => (3.0, LanczosFilter),
        _ => throw new ArgumentOutOfRangeException(nameof(filter), filter, "Unknown Pillow resampling filter."),
    };

    // The kernels are written with Pillow's operation order so that the doubles round identically.
    static double BoxFilter(double x) => x > -0.5 && x <= 0.5 ? 1.0 : 0.0;

    static double BilinearFilter(double x)
    {
        if (x < 0.0) x = -x;
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    static double HammingFilter(double x)
    {
        if (x < 0.0) x = -x;
        if (x == 0.0) return 1.0;
        if (x >= 1.0) return 0.0;
        x *= Math.PI;
        return Math.Sin(x) / x * (0.54 + 0.46 * Math.Cos(x));
    }

    static double BicubicFilter(double x)
    {
        const double a = -0.5;   // Pillow's choice (Keys' cubic convolution); other libraries use -0.75
        if (x < 0.0) x = -x;
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    static double Sinc(double x)
    {
        if (x == 0.0) return 1.0;
        x *= Math.PI;
        return Math.Sin(x) / x;
    }

    static double LanczosFilter(double x) => -3.0 <= x && x < 3.0 ? Sinc(x) * Sinc(x / 3) : 0.0;

    /// <summary>Per output index: first input index, tap count, and the fixed-point weights (precompute_coeffs + normalize_coeffs_8bpc).</summary>
    sealed record Taps(int[] Start, int[] Count, int[] Weights, int KernelSize);

    static Taps Coefficients(int inSize, int outSize, double filterSupport, Func<double, double> kernel)
    {
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = filterSupport * filterScale;
        int kernelSize = (int)Math.Ceiling(support) * 2 + 1;
        var start = new int[outSize];
        var count = new int[outSize];
        var weights = new int[outSize * kernelSize];
        var w = new double[kernelSize];
        double ss = 1.0 / filterScale;
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = (xx + 0.5) * scale;
            // C casts truncate toward zero; the +0.5 rounds the bounds.
            int xmin = (int)(center - support + 0.5);
            if (xmin < 0) xmin = 0;
            int xmax = (int)(center + support + 0.5);
            if (xmax > inSize) xmax = inSize;
            xmax -= xmin;
            double sum = 0.0;
            for (int x = 0; x < xmax; x++)
            {
                double v = kernel((x + xmin - center + 0.5) * ss);
                w[x] = v;
                sum += v;
            }
            for (int x = 0; x < xmax; x++)
            {
                double v = sum != 0.0 ? w[x] / sum : w[x];
                weights[xx * kernelSize + x] = v < 0
                    ? (int)(-0.5 + v * (1 << PrecisionBits))
                    : (int)(0.5 + v * (1 << PrecisionBits));
            }
            start[xx] = xmin;
            count[xx] = xmax;
        }
        return new Taps(start, count, weights, kernelSize);
    }

    static byte Clip8(int v)
    {
        if (v >= 1 << PrecisionBits << 8) return 255;
        if (v <= 0) return 0;
        return (byte)(v >> PrecisionBits);
    }

    static RgbImage HorizontalPass(RgbImage src, int outWidth, Taps taps)
    {
        var dst = new RgbImage(outWidth, src.Height);
        byte[] s = src.Pixels, d = dst.Pixels;
        for (int y = 0; y < src.Height; y++)
        {
            int srcRow = y * src.Stride, dstRow = y * dst.Stride;
            for (int xx = 0; xx < outWidth; xx++)
            {
                int xmin = taps.Start[xx], n = taps.Count[xx], k = xx * taps.KernelSize;
                int s0 = 1 << (PrecisionBits - 1), s1 = s0, s2 = s0;
                for (int x = 0; x < n; x++)
                {
                    int wk = taps.Weights[k + x], o = srcRow + (x + xmin) * 3;
                    s0 += s[o] * wk;
                    s1 += s[o + 1] * wk;
                    s2 += s[o + 2] * wk;
                }
                int p = dstRow + xx * 3;
                d[p] = Clip8(s0);
                d[p + 1] = Clip8(s1);
                d[p + 2] = Clip8(s2);
            }
        }
        return dst;
    }

    static RgbImage VerticalPass(RgbImage src, int outHeight, Taps taps)
    {
        var dst = new RgbImage(src.Width, outHeight);
        byte[] s = src.Pixels, d = dst.Pixels;
        int stride = src.Stride;
        for (int yy = 0; yy < outHeight; yy++)
        {
            int ymin = taps.Start[yy], n = taps.Count[yy], k = yy * taps.KernelSize, dstRow = yy * stride;
            for (int i = 0; i < stride; i++)
            {
                int acc = 1 << (PrecisionBits - 1);
                for (int y = 0; y < n; y++)
                    acc += s[(y + ymin) * stride + i] * taps.Weights[k + y];
                d[dstRow + i] = Clip8(acc);
            }
        }
        return dst;
    }

    /// <summary>
    /// Pillow resizes with NEAREST through an affine transform (Geometry.c <c>ImagingScaleAffine</c>): the source
    /// coordinate starts at a / 2 and is advanced by a = in / out per output pixel (accumulated in double, then
    /// truncated); a coordinate that falls outside the source leaves the zero fill.
    /// </summary>
    static RgbImage ResizeNearest(RgbImage src, int outWidth, int outHeight)
    {
        var dst = new RgbImage(outWidth, outHeight);
        var xs = NearestIndices(src.Width, outWidth);
        var ys = NearestIndices(src.Height, outHeight);
        for (int y = 0; y < outHeight; y++)
        {
            if (ys[y] < 0) continue;
            for (int x = 0; x < outWidth; x++)
                if (xs[x] >= 0)
                    Buffer.BlockCopy(src.Pixels, (ys[y] * src.Width + xs[x]) * 3, dst.Pixels, (y * outWidth + x) * 3, 3);
        }
        return dst;
    }

    static int[] NearestIndices(int inSize, int outSize)
    {
        double a = (double)inSize / outSize;
        double pos = a * 0.5;
        var idx = new int[outSize];
        for (int i = 0; i < outSize; i++)
        {
            int v = pos < 0.0 ? -1 : (int)pos;
            idx[i] = v >= 0 && v < inSize ? v : -1;
            pos += a;
        }
        return idx;
    }
}
