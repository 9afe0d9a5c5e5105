using static TorchSharp.torch;

namespace Rpo.Diffusion.Schedulers;

/// <summary>
/// DDPM (Ho et al. 2020): the forward process used for training (<see cref="AddNoise"/>, eq. 4), the training targets
/// ε / v / x_0, and the ancestral sampler (eq. 6–7). Numerically diffusers 0.25.1's DDPMScheduler (float32 schedule).
/// Class defaults: linear 0.0001..0.02 over 1000 steps, epsilon, variance_type fixed_small, clip_sample true (range 1),
/// steps_offset 0, timestep_spacing leading.
/// </summary>
public sealed class DDPMScheduler : IDiffusionScheduler
{
    readonly float[] _betas;
    readonly float[] _alphasCumprod;
    readonly bool _clipSample;
    readonly float _clipSampleRange;
    readonly TimestepSpacing _spacing;
    readonly int _stepsOffset;
    readonly VarianceType _varianceType;
    long[] _timesteps;
    int _numInferenceSteps;

    public DDPMScheduler(SchedulerConfig config)
    {
        Config = config;
        config.ThrowIfThresholding(nameof(DDPMScheduler));
        _betas = NoiseSchedule.Betas(config, new ScheduleDefaults());
        _alphasCumprod = NoiseSchedule.AlphasCumprod(_betas);
        NumTrainTimesteps = _betas.Length;
        PredictionType = config.PredictionType ?? PredictionType.Epsilon;
        _clipSample = config.ClipSample ?? true;
        _clipSampleRange = (float)(config.ClipSampleRange ?? 1.0);
        _spacing = config.TimestepSpacing ?? TimestepSpacing.Leading;
        _stepsOffset = config.StepsOffset ?? 0;
        _varianceType = config.VarianceType ?? VarianceType.FixedSmall;
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

    /// <summary>Eq. 4: x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε, with one timestep per batch element.</summary>
    public Tensor AddNoise(Tensor originalSamples, Tensor noise, Tensor timesteps)
    {
        using var scope = NewDisposeScope();
        var (sqrtAlpha, sqrtOneMinusAlpha) = PerSampleCoefficients(originalSamples, timesteps);
        return (sqrtAlpha * originalSamples + sqrtOneMinusAlpha * noise).MoveToOuterDisposeScope();
    }

    /// <summary>v = √ᾱ_t ε − √(1−ᾱ_t) x_0 (Salimans &amp; Ho 2022, "Progressive Distillation", §4).</summary>
    public Tensor GetVelocity(Tensor sample, Tensor noise, Tensor timesteps)
    {
        using var scope = NewDisposeScope();
        var (sqrtAlpha, sqrtOneMinusAlpha) = PerSampleCoefficients(sample, timesteps);
        return (sqrtAlpha * noise - sqrtOneMinusAlpha * sample).MoveToOuterDisposeScope();
    }

    /// <summary>What the model learns to predict at (x_t, t): ε, v or x_0 by prediction_type (a new tensor).</summary>
    public Tensor TrainingTarget(Tensor originalSamples, Tensor noise, Tensor timesteps) =>
        PredictionType switch
        {
            PredictionType.Epsilon => noise.alias(),
            PredictionType.VPrediction => GetVelocity(originalSamples, noise, timesteps),
            PredictionType.Sample => originalSamples.alias(),
            var p => throw new NotSupportedException($"prediction_type {p} is not supported."),
        };

    /// <summary>√ᾱ_t and √(1−ᾱ_t) gathered per batch element in the samples' dtype and device, shaped to broadcast.</summary>
    (Tensor SqrtAlpha, Tensor SqrtOneMinusAlpha) PerSampleCoefficients(Tensor samples, Tensor timesteps)
    {
        var acp = tensor(_alphasCumprod).to(samples.dtype, samples.device);
        var at = acp.index_select(0, timesteps.to(ScalarType.Int64, samples.device).flatten());
        var shape = new long[samples.dim()];
        Array.Fill(shape, 1L);
        shape[0] = -1;
        return (at.sqrt().reshape(shape), (1 - at).sqrt().reshape(shape));
    }

    public void SetTimesteps(int numInferenceSteps)
    {
        _timesteps = TimestepGrid.Ddim(_spacing, NumTrainTimesteps, numInferenceSteps, _stepsOffset);
        _numInferenceSteps = numInferenceSteps;
    }

    public Tensor ScaleModelInput(Tensor sample, double timestep) => sample.alias();

    int PreviousTimestep(int t) => t - NumTrainTimesteps / (_numInferenceSteps > 0 ? _numInferenceSteps : NumTrainTimesteps);

    /// <summary>Ancestral step: x_{t−1} ~ q(x_{t−1} | x_t, x̂_0) (eq. 6–7), its mean from the posterior coefficients.</summary>
    public SchedulerStepOutput Step(Tensor modelOutput, double timestep, Tensor sample, Generator? generator = null)
    {
        if (_varianceType is VarianceType.Learned or VarianceType.LearnedRange or VarianceType.FixedLargeLog)
            throw new NotSupportedException($"DDPMScheduler: variance_type {_varianceType} is not supported.");
        int t = SchedulerNoise.TrainingIndex(timestep, NumTrainTimesteps);
        int prevT = PreviousTimestep(t);
        float alphaProdT = _alphasCumprod[t];
        float alphaProdTPrev = prevT >= 0 ? _alphasCumprod[prevT] : 1f;
        float betaProdT = 1f - alphaProdT, betaProdTPrev = 1f - alphaProdTPrev;
        float currentAlphaT = alphaProdT / alphaProdTPrev;
        float currentBetaT = 1f - currentAlphaT;

        using var scope = NewDisposeScope();
        var (predX0, _) = DDIMScheduler.PredictX0AndEpsilon(PredictionType, modelOutput, sample, MathF.Sqrt(alphaProdT), MathF.Sqrt(betaProdT));
        if (_clipSample) predX0 = predX0.clamp(-_clipSampleRange, _clipSampleRange);

        // Eq. 7: μ̃_t = √ᾱ_{t−1} β_t/(1−ᾱ_t) · x_0 + √α_t (1−ᾱ_{t−1})/(1−ᾱ_t) · x_t.
        float x0Coeff = MathF.Sqrt(alphaProdTPrev) * currentBetaT / betaProdT;
        float sampleCoeff = MathF.Sqrt(currentAlphaT) * betaProdTPrev / betaProdT;
        var prev = predX0 * x0Coeff + sample * sampleCoeff;

        if (t > 0)
        {
            // β̃_t = (1−ᾱ_{t−1})/(1−ᾱ_t) β_t (eq. 7), floored like diffusers; fixed_large uses β_t (§3.2).
            float posterior = Math.Max((1f - alphaProdTPrev) / (1f - alphaProdT) * (1f - alphaProdT / alphaProdTPrev), 1e-20f);
            float std = _varianceType switch
            {
                VarianceType.FixedSmall => MathF.Sqrt(posterior),
                // diffusers' fixed_small_log returns exp(½ log β̃) and multiplies the noise by it directly.
                VarianceType.FixedSmallLog => SleefF32.Exp(0.5f * MathF.Log(posterior)),
                VarianceType.FixedLarge => MathF.Sqrt(currentBetaT),
                var v => throw new NotSupportedException($"DDPMScheduler: variance_type {v} is not supported."),
            };
            prev = prev + SchedulerNoise.Randn(modelOutput, generator) * std;
        }
        return new(prev.MoveToOuterDisposeScope(), predX0.MoveToOuterDisposeScope());
    }
}
