namespace Rpo.Diffusion.Schedulers;

/// <summary>
/// The few numpy routines diffusers builds timestep grids with, reproduced to the last bit (float64 arithmetic in
/// numpy's own order), since integer timesteps must match exactly and a rounding flip moves a whole step.
/// </summary>
internal static class NumPy
{
    /// <summary><c>np.linspace(start, stop, num)</c>: i·step + start, the last element set to stop.</summary>
    public static double[] Linspace(double start, double stop, int num)
    {
        if (num <= 0) return [];
        if (num == 1) return [start];
        int div = num - 1;
        double delta = stop - start, step = delta / div;
        var y = new double[num];
        for (int i = 0; i < num; i++)
            y[i] = (step == 0 ? i / (double)div * delta : i * step) + start;
        y[num - 1] = stop;
        return y;
    }

    /// <summary><c>np.arange(start, stop, step)</c> in float64: length ⌈(stop − start)/step⌉, element i = start + i·δ with
    /// δ = (start + step) − start, as numpy's fill computes it.</summary>
    public static double[] Arange(double start, double stop, double step)
    {
        double length = Math.Ceiling((stop - start) / step);
        if (!(length > 0)) return [];
        var a = new double[(long)length];
        a[0] = start;
        if (a.Length > 1)
        {
            a[1] = start + step;
            double delta = a[1] - a[0];
            for (int i = 2; i < a.Length; i++) a[i] = start + i * delta;
        }
        return a;
    }

    /// <summary><c>np.round</c>: to nearest, ties to even.</summary>
    public static double Round(double x) => Math.Round(x, MidpointRounding.ToEven);

    /// <summary><c>np.interp(x, arange(len(fp)), fp)</c>: piecewise linear, clamped to the end values.</summary>
    public static double Interp(double x, ReadOnlySpan<float> fp)
    {
        int n = fp.Length;
        if (double.IsNaN(x)) return x;
        if (x < 0) return fp[0];
        if (x >= n - 1) return fp[n - 1];
        int j = (int)Math.Floor(x);
        if (j == x) return fp[j];
        double slope = (double)fp[j + 1] - fp[j];   // the xp spacing is 1
        double result = slope * (x - j) + fp[j];
        return double.IsNaN(result) ? slope * (x - (j + 1)) + fp[j + 1] : result;
    }
}
