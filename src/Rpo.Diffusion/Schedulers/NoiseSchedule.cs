namespace Rpo.Diffusion.Schedulers;

/// <summary>
/// The training noise schedule β_t, ᾱ_t (DDPM, Ho et al. 2020, eq. 4: q(x_t|x_0) = N(√ᾱ_t x_0, (1−ᾱ_t) I)) as pure
/// functions over arrays. diffusers computes it in float32 torch ops, and parity to 1e-6 in ᾱ needs the same
/// rounding: every step below is written in the precision the reference uses at that point.
/// </summary>
public static class NoiseSchedule
{
    /// <summary>β_1..β_T from the config (trained_betas, or beta_schedule between beta_start and beta_end), rescaled to
    /// zero terminal SNR when asked. <paramref name="defaults"/> supplies the class defaults for absent keys.</summary>
    public static float[] Betas(SchedulerConfig config, ScheduleDefaults defaults)
    {
        int n = config.NumTrainTimesteps ?? defaults.NumTrainTimesteps;
        double b0 = config.BetaStart ?? defaults.BetaStart, b1 = config.BetaEnd ?? defaults.BetaEnd;
        float[] betas;
        if (config.TrainedBetas is { } trained)
        {
            if (trained.Length != n)
                throw new InvalidDataException($"trained_betas has {trained.Length} values but num_train_timesteps is {n}.");
            betas = trained.Select(b => (float)b).ToArray();
        }
        else
        {
            betas = (config.BetaSchedule ?? defaults.BetaSchedule) switch
            {
                BetaSchedule.Linear => LinspaceFloat32(b0, b1, n),
                // Latent diffusion's schedule: linear in √β, squared elementwise in float32.
                BetaSchedule.ScaledLinear => LinspaceFloat32(Math.Sqrt(b0), Math.Sqrt(b1), n).Select(s => s * s).ToArray(),
                BetaSchedule.SquaredCosCapV2 => SquaredCosCapV2(n),
                var s => throw new NotSupportedException($"beta_schedule {s} is not supported."),
            };
        }
        return config.RescaleBetasZeroSnr == true ? RescaleZeroTerminalSnr(betas) : betas;
    }

    /// <summary>ᾱ_t = Π_{s≤t} (1 − β_s): α = 1 − β in float32, the running product accumulated in double and rounded
    /// per element, which is what ATen's CPU cumprod does for float tensors (its accumulate type is double).</summary>
    public static float[] AlphasCumprod(float[] betas)
    {
        var result = new float[betas.Length];
        double running = 1.0;
        for (int i = 0; i < betas.Length; i++)
        {
            running *= 1f - betas[i];
            result[i] = (float)running;
        }
        return result;
    }

    /// <summary><c>torch.linspace(start, end, n, dtype=float32)</c> as ATen's CPU kernel computes it (AVX2 build, whose
    /// compiler fuses a·b + c into one FMA): float32 ends and step; blocks of 8 elements, element k of a block being
    /// fma(k, step, base) with the base counted up from start in the first half and down from end in the second; the
    /// tail after the last full pair of blocks element by element. Measured against the reference: bit-identical β for
    /// the SD schedule, where the plain per-element formula differs in a quarter of the elements by an ulp.</summary>
    public static float[] LinspaceFloat32(double start, double end, int n)
    {
        if (n == 1) return [(float)start];
        float s = (float)start, e = (float)end;
        float step = (e - s) / (n - 1);
        int halfway = n / 2;
        float At(int i) => i < halfway ? MathF.FusedMultiplyAdd(step, i, s) : MathF.FusedMultiplyAdd(-step, n - i - 1, e);
        const int Width = 8;
        var result = new float[n];
        int idx = 0;
        // The vector loop takes two blocks per turn, so only whole pairs of blocks are vectorised.
        int vectorised = n / (2 * Width) * (2 * Width);
        for (; idx < vectorised; idx += Width)
        {
            float blockBase = At(idx);
            for (int k = 0; k < Width; k++) result[idx + k] = MathF.FusedMultiplyAdd(k, step, blockBase);
        }
        for (; idx < n; idx++) result[idx] = At(idx);
        return result;
    }

    /// <summary>Improved DDPM's cosine schedule (Nichol &amp; Dhariwal 2021, eq. 17): ᾱ(t) = cos²((t/T + s)/(1 + s)·π/2),
    /// s = 0.008, β_t = min(1 − ᾱ(t+1)/ᾱ(t), 0.999); computed in double like diffusers' betas_for_alpha_bar.</summary>
    public static float[] SquaredCosCapV2(int n, double maxBeta = 0.999)
    {
        static double AlphaBar(double t) => Math.Pow(Math.Cos((t + 0.008) / 1.008 * Math.PI / 2), 2);
        var betas = new float[n];
        for (int i = 0; i < n; i++)
            betas[i] = (float)Math.Min(1 - AlphaBar((i + 1) / (double)n) / AlphaBar(i / (double)n), maxBeta);
        return betas;
    }

    /// <summary>Zero terminal SNR (Lin et al. 2023, "Common Diffusion Noise Schedules and Sample Steps are Flawed",
    /// Algorithm 1): shift √ᾱ so its last value is 0 and rescale so its first is unchanged; float32 throughout.</summary>
    public static float[] RescaleZeroTerminalSnr(float[] betas)
    {
        int n = betas.Length;
        var sqrtBar = AlphasCumprod(betas).Select(MathF.Sqrt).ToArray();
        float first = sqrtBar[0], last = sqrtBar[n - 1];
        float scale = first / (first - last);
        var bar = new float[n];
        for (int i = 0; i < n; i++)
        {
            float shifted = (sqrtBar[i] - last) * scale;
            bar[i] = shifted * shifted;
        }
        var result = new float[n];
        result[0] = 1f - bar[0];
        for (int i = 1; i < n; i++) result[i] = 1f - bar[i] / bar[i - 1];
        return result;
    }

    /// <summary>The Karras et al. 2022 noise levels σ = (σ_max^{1/ρ} + r (σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ, r ∈ linspace(0, 1, n),
    /// ρ = 7 (EDM, eq. 5); in double, as diffusers does it in numpy.</summary>
    public static double[] KarrasSigmas(double sigmaMin, double sigmaMax, int n, double rho = 7.0)
    {
        double minInv = Math.Pow(sigmaMin, 1 / rho), maxInv = Math.Pow(sigmaMax, 1 / rho);
        var ramp = NumPy.Linspace(0, 1, n);
        return ramp.Select(r => Math.Pow(maxInv + r * (minInv - maxInv), rho)).ToArray();
    }

    /// <summary>σ_t = √((1 − ᾱ_t)/ᾱ_t), the variance-exploding view of the VP process (Karras et al. 2022, Table 1), in float32.</summary>
    public static float[] Sigmas(float[] alphasCumprod) =>
        alphasCumprod.Select(a => MathF.Sqrt((1f - a) / a)).ToArray();

    /// <summary>The (fractional) training timestep whose log σ matches <paramref name="sigma"/>, by linear interpolation in
    /// log σ between neighbouring training steps (diffusers' <c>_sigma_to_t</c>).</summary>
    public static double SigmaToT(double sigma, float[] logSigmas)
    {
        double logSigma = Math.Log(Math.Max(sigma, 1e-10));
        // low_idx = the last index whose log σ is ≤ the target (argmax of the cumulative count), kept below the end.
        int lowIdx = 0;
        for (int i = 0; i < logSigmas.Length; i++)
            if (logSigma - logSigmas[i] >= 0) lowIdx = i;
        lowIdx = Math.Min(lowIdx, logSigmas.Length - 2);
        int highIdx = lowIdx + 1;
        double low = logSigmas[lowIdx], high = logSigmas[highIdx];
        double w = Math.Clamp((low - logSigma) / (low - high), 0, 1);
        return (1 - w) * lowIdx + w * highIdx;
    }
}

/// <summary>The schedule defaults of one scheduler class (its <c>__init__</c> signature), for keys a config leaves out.</summary>
public sealed record ScheduleDefaults(int NumTrainTimesteps = 1000, double BetaStart = 0.0001, double BetaEnd = 0.02,
    BetaSchedule BetaSchedule = BetaSchedule.Linear);
