using static TorchSharp.torch;

namespace Rpo.Diffusion.Schedulers;

/// <summary>
/// Euler's method on the probability-flow ODE in σ (Karras et al. 2022, "Elucidating the Design Space...", Algorithm 2,
/// with optional churn γ): x̂_0 = D(x; σ), d = (x − x̂_0)/σ̂, x_{i+1} = x + d (σ_{i+1} − σ̂). The model sees x/√(σ²+1).
/// Numerically diffusers 0.25.1's EulerDiscreteScheduler: σ interpolated in float64 at float32 timesteps, stored float32.
/// Class defaults: linear 0.0001..0.02 over 1000 steps, epsilon, interpolation linear, no Karras sigmas,
/// timestep_spacing linspace, steps_offset 0, timestep_type discrete.
/// </summary>
public sealed class EulerDiscreteScheduler : IDiffusionScheduler
{
    readonly float[] _betas;
    readonly float[] _alphasCumprod;
    readonly float[] _trainSigmas;   // σ_t at every training step, ascending in t (float32)
    readonly TimestepSpacing _spacing;
    readonly int _stepsOffset;
    readonly InterpolationType _interpolation;
    readonly bool _karras;
    readonly TimestepType _timestepType;
    float[] _timesteps;
    float[] _sigmas;                 // the run's σ_0 > … > σ_{n−1}, then 0
    int? _stepIndex;

    public EulerDiscreteScheduler(SchedulerConfig config)
    {
        Config = config;
        _betas = NoiseSchedule.Betas(config, new ScheduleDefaults());
        _alphasCumprod = NoiseSchedule.AlphasCumprod(_betas);
        // With zero terminal SNR ᾱ_T = 0 would make σ_T infinite; diffusers uses the smallest fp16 subnormal instead.
        if (config.RescaleBetasZeroSnr == true) _alphasCumprod[^1] = MathF.Pow(2, -24);
        NumTrainTimesteps = _betas.Length;
        PredictionType = config.PredictionType ?? PredictionType.Epsilon;
        _spacing = config.TimestepSpacing ?? TimestepSpacing.Linspace;
        _stepsOffset = config.StepsOffset ?? 0;
        _interpolation = config.InterpolationType ?? InterpolationType.Linear;
        _karras = config.UseKarrasSigmas ?? false;
        _timestepType = config.TimestepType ?? TimestepType.Discrete;
        _trainSigmas = NoiseSchedule.Sigmas(_alphasCumprod);

        _sigmas = [.. _trainSigmas.Reverse(), 0f];
        _timesteps = ContinuousTimesteps() ?? NumPy.Linspace(0, NumTrainTimesteps - 1, NumTrainTimesteps).Select(t => (float)t).Reverse().ToArray();
    }

    public SchedulerConfig Config { get; }
    public PredictionType PredictionType { get; }
    public int NumTrainTimesteps { get; }
    public IReadOnlyList<float> Betas => _betas;
    public IReadOnlyList<float> AlphasCumprod => _alphasCumprod;
    public ScalarType TimestepDtype => ScalarType.Float32;
    public IReadOnlyList<double> Timesteps => Array.ConvertAll(_timesteps, t => (double)t);

    /// <summary>σ_0 … σ_{n−1} and a final 0, after <see cref="SetTimesteps"/>.</summary>
    public IReadOnlyList<float> Sigmas => _sigmas;

    /// <summary>Churn parameters of Karras Algorithm 2 (s_churn 0 = plain Euler).</summary>
    public float SChurn { get; set; }
    public float STmin { get; set; }
    public float STmax { get; set; } = float.PositiveInfinity;
    public float SNoise { get; set; } = 1f;

    /// <summary>x_T ~ N(0, σ_max²): σ_max, or √(σ_max² + 1) for leading spacing (diffusers' convention).</summary>
    public float InitNoiseSigma
    {
        get
        {
            float max = _sigmas.Max();
            return _spacing is TimestepSpacing.Linspace or TimestepSpacing.Trailing ? max : MathF.Sqrt(max * max + 1f);
        }
    }

    public void SetTimesteps(int numInferenceSteps)
    {
        float[] timesteps = TimestepGrid.Euler(_spacing, NumTrainTimesteps, numInferenceSteps, _stepsOffset);
        double[] sigmas = _interpolation switch
        {
            InterpolationType.Linear => timesteps.Select(t => NumPy.Interp(t, _trainSigmas)).ToArray(),
            // diffusers' log-linear grid has n + 1 points (from σ_max down to σ_min), a float32 torch.linspace
            // exponentiated by torch.exp.
            InterpolationType.LogLinear => NoiseSchedule.LinspaceFloat32(MathF.Log(_trainSigmas[^1]), MathF.Log(_trainSigmas[0]), numInferenceSteps + 1)
                .Select(l => (double)SleefF32.Exp(l)).ToArray(),
            var i => throw new NotSupportedException($"interpolation_type {i} is not supported."),
        };
        if (_karras)
        {
            sigmas = NoiseSchedule.KarrasSigmas(Config.SigmaMin ?? sigmas[^1], Config.SigmaMax ?? sigmas[0], numInferenceSteps);
            var logSigmas = _trainSigmas.Select(s => MathF.Log(s)).ToArray();
            timesteps = sigmas.Select(s => (float)NoiseSchedule.SigmaToT(s, logSigmas)).ToArray();
        }
        _sigmas = [.. sigmas.Select(s => (float)s), 0f];
        _timesteps = ContinuousTimesteps() ?? timesteps;
        _stepIndex = null;
    }

    /// <summary>EDM-style continuous timesteps c_noise = ¼ ln σ (Karras et al. 2022, Table 1), for v-prediction only.</summary>
    float[]? ContinuousTimesteps() =>
        _timestepType == TimestepType.Continuous && PredictionType == PredictionType.VPrediction
            ? _sigmas[..^1].Select(s => 0.25f * MathF.Log(s)).ToArray()
            : null;

    /// <summary>The run position of a timestep, fixed at the first call like diffusers' step index (the second match
    /// when a timestep repeats, so that image-to-image starting mid-schedule does not skip a σ).</summary>
    int StepIndex(double timestep)
    {
        if (_stepIndex is { } i) return i;
        var matches = Enumerable.Range(0, _timesteps.Length).Where(k => _timesteps[k] == timestep).ToList();
        if (matches.Count == 0) throw new ArgumentException($"timestep {timestep} is not one of this run's timesteps.", nameof(timestep));
        _stepIndex = matches.Count > 1 ? matches[1] : matches[0];
        return _stepIndex.Value;
    }

    /// <summary>c_in = 1/√(σ² + 1) (Karras et al. 2022, Table 1, VP preconditioning).</summary>
    public Tensor ScaleModelInput(Tensor sample, double timestep)
    {
        float sigma = _sigmas[StepIndex(timestep)];
        return sample / MathF.Sqrt(sigma * sigma + 1f);
    }

    public SchedulerStepOutput Step(Tensor modelOutput, double timestep, Tensor sample, Generator? generator = null)
    {
        int i = StepIndex(timestep);
        if (i + 1 >= _sigmas.Length) throw new InvalidOperationException("Step called past the last timestep; call SetTimesteps again.");
        float sigma = _sigmas[i];
        float gamma = STmin <= sigma && sigma <= STmax ? (float)Math.Min(SChurn / (double)(_sigmas.Length - 1), Math.Sqrt(2) - 1) : 0f;

        using var scope = NewDisposeScope();
        // Upcast so half-precision runs take the step in float32 (diffusers does the same).
        var x = sample.to_type(ScalarType.Float32);
        // diffusers draws the churn noise on every step, so a shared generator stays in step with it.
        var eps = SchedulerNoise.Randn(modelOutput, generator) * SNoise;
        float sigmaHat = sigma * (gamma + 1f);
        if (gamma > 0) x = x + eps * MathF.Sqrt(sigmaHat * sigmaHat - sigma * sigma);

        var predX0 = PredictionType switch
        {
            PredictionType.Epsilon => x - modelOutput * sigmaHat,
            // D = c_skip x + c_out F with c_skip = 1/(σ²+1), c_out = −σ/√(σ²+1) (v-parameterisation in σ).
            PredictionType.VPrediction => modelOutput * (-sigma / MathF.Sqrt(sigma * sigma + 1f)) + x / (sigma * sigma + 1f),
            PredictionType.Sample => modelOutput.alias(),
            var p => throw new NotSupportedException($"prediction_type {p} is not supported."),
        };
        var derivative = (x - predX0) / sigmaHat;
        float dt = _sigmas[i + 1] - sigmaHat;
        var prev = (x + derivative * dt).to_type(modelOutput.dtype);
        _stepIndex = i + 1;
        return new(prev.MoveToOuterDisposeScope(), predX0.MoveToOuterDisposeScope());
    }
}
