using static TorchSharp.torch;

namespace Rpo.Diffusion.Schedulers;

/// <summary>
/// DDIM (Song et al. 2021, "Denoising Diffusion Implicit Models"), eq. 12:
/// x_{t−1} = √ᾱ_{t−1} x̂_0 + √(1 − ᾱ_{t−1} − σ_t²) ε̂ + σ_t z, with σ_t = η √((1−ᾱ_{t−1})/(1−ᾱ_t)) √(1 − ᾱ_t/ᾱ_{t−1}) (eq. 16).
/// η = 0 is the deterministic sampler. Numerically diffusers 0.25.1's DDIMScheduler: float32 scalars.
/// Class defaults (for keys a config leaves out): linear 0.0001..0.02 over 1000 steps, epsilon, clip_sample true (range 1),
/// set_alpha_to_one true, steps_offset 0, timestep_spacing leading.
/// </summary>
public sealed class DDIMScheduler : IDiffusionScheduler
{
    readonly float[] _betas;
    readonly float[] _alphasCumprod;
    readonly float _finalAlphaCumprod;
    readonly bool _clipSample;
    readonly float _clipSampleRange;
    readonly TimestepSpacing _spacing;
    readonly int _stepsOffset;
    long[] _timesteps;
    int _numInferenceSteps;

    public DDIMScheduler(SchedulerConfig config)
    {
        Config = config;
        config.ThrowIfThresholding(nameof(DDIMScheduler));
        _betas = NoiseSchedule.Betas(config, new ScheduleDefaults());
        _alphasCumprod = NoiseSchedule.AlphasCumprod(_betas);
        NumTrainTimesteps = _betas.Length;
        PredictionType = config.PredictionType ?? PredictionType.Epsilon;
        // The "previous" ᾱ of the last step: 1 (a clean x_0) or, as SD configs say, ᾱ_0.
        _finalAlphaCumprod = config.SetAlphaToOne ?? true ? 1f : _alphasCumprod[0];
        _clipSample = config.ClipSample ?? true;
        _clipSampleRange = (float)(config.ClipSampleRange ?? 1.0);
        _spacing = config.TimestepSpacing ?? TimestepSpacing.Leading;
        _stepsOffset = config.StepsOffset ?? 0;
        _timesteps = Enumerable.Range(0, NumTrainTimesteps).Select(t => (long)t).Reverse().ToArray();
    }

    public SchedulerConfig Config { get; }
    public PredictionType PredictionType { get; }
    public int NumTrainTimesteps { get; }
    public IReadOnlyList<float> Betas => _betas;
    public IReadOnlyList<float> AlphasCumprod => _alphasCumprod;
    public float InitNoiseSigma => 1f;
    public ScalarType TimestepDtype => ScalarType.Int64;
    public IReadOnlyList<double> Timesteps => Array.ConvertAll(_timesteps, t => (double)t);

    /// <summary>η of eq. 16 used by <see cref="IDiffusionScheduler.Step"/>; 0 gives deterministic DDIM, 1 DDPM-like noise.</summary>
    public float Eta { get; set; }

    public void SetTimesteps(int numInferenceSteps)
    {
        _timesteps = TimestepGrid.Ddim(_spacing, NumTrainTimesteps, numInferenceSteps, _stepsOffset);
        _numInferenceSteps = numInferenceSteps;
    }

    public Tensor ScaleModelInput(Tensor sample, double timestep) => sample.alias();

    public SchedulerStepOutput Step(Tensor modelOutput, double timestep, Tensor sample, Generator? generator = null) =>
        Step(modelOutput, timestep, sample, Eta, useClippedModelOutput: false, generator);

    public SchedulerStepOutput Step(Tensor modelOutput, double timestep, Tensor sample, float eta, bool useClippedModelOutput, Generator? generator = null)
    {
        if (_numInferenceSteps == 0) throw new InvalidOperationException("call SetTimesteps before Step.");
        int t = SchedulerNoise.TrainingIndex(timestep, NumTrainTimesteps);
        // DDIM steps by the fixed stride T/n whatever the spacing, as diffusers does.
        int prevT = t - NumTrainTimesteps / _numInferenceSteps;
        float alphaProdT = _alphasCumprod[t];
        float alphaProdTPrev = prevT >= 0 ? _alphasCumprod[prevT] : _finalAlphaCumprod;
        float betaProdT = 1f - alphaProdT;
        float sqrtAlpha = MathF.Sqrt(alphaProdT), sqrtBeta = MathF.Sqrt(betaProdT);

        using var scope = NewDisposeScope();
        // x̂_0 and ε̂ from the model output (eq. 9 for ε; v = √ᾱ ε − √(1−ᾱ) x_0, Salimans & Ho 2022, §4).
        var (predX0, predEps) = PredictX0AndEpsilon(PredictionType, modelOutput, sample, sqrtAlpha, sqrtBeta);
        if (_clipSample) predX0 = predX0.clamp(-_clipSampleRange, _clipSampleRange);

        float variance = Variance(alphaProdT, alphaProdTPrev);
        float stdDev = eta * MathF.Sqrt(variance);
        if (useClippedModelOutput) predEps = (sample - predX0 * sqrtAlpha) / sqrtBeta;

        // Eq. 12: the direction pointing to x_t, then x_{t−1} without noise.
        var direction = predEps * MathF.Sqrt(1f - alphaProdTPrev - stdDev * stdDev);
        var prev = predX0 * MathF.Sqrt(alphaProdTPrev) + direction;
        if (eta > 0) prev = prev + SchedulerNoise.Randn(modelOutput, generator) * stdDev;
        return new(prev.MoveToOuterDisposeScope(), predX0.MoveToOuterDisposeScope());
    }

    /// <summary>Eq. 16 without η: (1−ᾱ_{t−1})/(1−ᾱ_t) · (1 − ᾱ_t/ᾱ_{t−1}).</summary>
    static float Variance(float alphaProdT, float alphaProdTPrev) =>
        (1f - alphaProdTPrev) / (1f - alphaProdT) * (1f - alphaProdT / alphaProdTPrev);

    internal static (Tensor X0, Tensor Epsilon) PredictX0AndEpsilon(PredictionType prediction, Tensor modelOutput, Tensor sample, float sqrtAlpha, float sqrtBeta) =>
        prediction switch
        {
            PredictionType.Epsilon => ((sample - modelOutput * sqrtBeta) / sqrtAlpha, modelOutput.alias()),
            PredictionType.Sample => (modelOutput.alias(), (sample - modelOutput * sqrtAlpha) / sqrtBeta),
            PredictionType.VPrediction => (sample * sqrtAlpha - modelOutput * sqrtBeta, modelOutput * sqrtAlpha + sample * sqrtBeta),
            _ => throw new NotSupportedException($"prediction_type {prediction} is not supported."),
        };
}
