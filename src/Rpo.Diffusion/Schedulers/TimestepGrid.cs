namespace Rpo.Diffusion.Schedulers;

/// <summary>
/// Which training timesteps a short sampling run visits (Lin et al. 2023, Table 2: "linspace", "leading", "trailing"),
/// exactly as each diffusers class builds them; they differ in details (DPM-Solver drops a point, Euler keeps floats).
/// </summary>
public static class TimestepGrid
{
    /// <summary>DDPM and DDIM: integer timesteps, highest first.</summary>
    public static long[] Ddim(TimestepSpacing spacing, int numTrainTimesteps, int steps, int stepsOffset)
    {
        CheckSteps(steps, numTrainTimesteps);
        switch (spacing)
        {
            case TimestepSpacing.Linspace:
                return NumPy.Linspace(0, numTrainTimesteps - 1, steps).Select(t => (long)NumPy.Round(t)).Reverse().ToArray();
            case TimestepSpacing.Leading:
                long ratio = numTrainTimesteps / steps;
                return Enumerable.Range(0, steps).Select(i => i * ratio + stepsOffset).Reverse().ToArray();
            case TimestepSpacing.Trailing:
                return NumPy.Arange(numTrainTimesteps, 0, -(numTrainTimesteps / (double)steps))
                    .Select(t => (long)NumPy.Round(t) - 1).ToArray();
            default:
                throw new NotSupportedException($"timestep_spacing {spacing} is not supported.");
        }
    }

    /// <summary>Euler: float32 timesteps (linspace keeps fractional ones), highest first.</summary>
    public static float[] Euler(TimestepSpacing spacing, int numTrainTimesteps, int steps, int stepsOffset)
    {
        CheckSteps(steps, numTrainTimesteps);
        switch (spacing)
        {
            case TimestepSpacing.Linspace:
                return NumPy.Linspace(0, numTrainTimesteps - 1, steps).Select(t => (float)t).Reverse().ToArray();
            case TimestepSpacing.Leading:
                long ratio = numTrainTimesteps / steps;
                return Enumerable.Range(0, steps).Select(i => (float)(i * ratio) + stepsOffset).Reverse().ToArray();
            case TimestepSpacing.Trailing:
                return NumPy.Arange(numTrainTimesteps, 0, -(numTrainTimesteps / (double)steps))
                    .Select(t => (float)NumPy.Round(t) - 1f).ToArray();
            default:
                throw new NotSupportedException($"timestep_spacing {spacing} is not supported.");
        }
    }

    /// <summary>DPM-Solver multistep: n + 1 grid points with the lowest dropped; <paramref name="lastTimestep"/> is
    /// num_train_timesteps less the steps cut off by lambda_min_clipped.</summary>
    public static long[] DpmSolver(TimestepSpacing spacing, int numTrainTimesteps, int lastTimestep, int steps, int stepsOffset)
    {
        CheckSteps(steps, numTrainTimesteps);
        switch (spacing)
        {
            case TimestepSpacing.Linspace:
                return NumPy.Linspace(0, lastTimestep - 1, steps + 1).Select(t => (long)NumPy.Round(t)).Reverse().Take(steps).ToArray();
            case TimestepSpacing.Leading:
                long ratio = lastTimestep / (steps + 1);
                return Enumerable.Range(0, steps + 1).Select(i => i * ratio).Reverse().Take(steps).Select(t => t + stepsOffset).ToArray();
            case TimestepSpacing.Trailing:
                return NumPy.Arange(lastTimestep, 0, -(numTrainTimesteps / (double)steps))
                    .Select(t => (long)NumPy.Round(t) - 1).ToArray();
            default:
                throw new NotSupportedException($"timestep_spacing {spacing} is not supported.");
        }
    }

    static void CheckSteps(int steps, int numTrainTimesteps)
    {
        if (steps < 1 || steps > numTrainTimesteps)
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"the number of inference steps must be in 1..{numTrainTimesteps} (num_train_timesteps).");
    }
}
