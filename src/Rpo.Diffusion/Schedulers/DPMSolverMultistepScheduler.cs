using static TorchSharp.torch;

namespace Rpo.Diffusion.Schedulers;

/// <summary>
/// Multistep DPM-Solver(++) (Lu et al. 2022, "DPM-Solver++", Algorithm 2 for the 2M data-prediction solver; the noise-
/// prediction variant and the SDE variants as in diffusers). With λ_t = log(α_t/σ_t) and h = λ_t − λ_s, the first-order
/// step is x_t = (σ_t/σ_s) x_s − α_t (e^{−h} − 1) x̂_0 (eq. 5); the second-order steps add a finite difference of the last
/// two x̂_0. Numerically diffusers 0.25.1's DPMSolverMultistepScheduler (float32 scalars, final σ = σ at t=0 unless
/// final_sigmas_type says "zero").
/// Class defaults: linear 0.0001..0.02 over 1000 steps, epsilon, dpmsolver++, order 2, midpoint, lower_order_final
/// true, euler_at_final false, no Karras / Lu sigmas, lambda_min_clipped −∞, timestep_spacing linspace, steps_offset 0.
/// </summary>
public sealed class DPMSolverMultistepScheduler : IDiffusionScheduler
{
    readonly float[] _betas;
    readonly float[] _alphasCumprod;
    readonly float[] _trainSigmas;   // σ_t = √((1−ᾱ)/ᾱ) per training step (float32)
    readonly float[] _lambdas;       // λ_t = log √ᾱ − log √(1−ᾱ) per training step (float32)
    readonly AlgorithmType _algorithm;
    readonly SolverType _solverType;
    readonly int _solverOrder;
    readonly bool _lowerOrderFinal;
    readonly bool _eulerAtFinal;
    readonly bool _karras;
    readonly bool _luLambdas;
    readonly double _lambdaMinClipped;
    readonly FinalSigmasType? _finalSigmasType;
    readonly VarianceType? _varianceType;
    readonly TimestepSpacing _spacing;
    readonly int _stepsOffset;
    long[] _timesteps;
    float[] _sigmas;
    readonly Tensor?[] _modelOutputs;  // x̂_0 (or ε̂) of the last solver_order steps, oldest first; owned here
    int _lowerOrderNums;
    int? _stepIndex;

    public DPMSolverMultistepScheduler(SchedulerConfig config)
    {
        Config = config;
        config.ThrowIfThresholding(nameof(DPMSolverMultistepScheduler));
        _betas = NoiseSchedule.Betas(config, new ScheduleDefaults());
        _alphasCumprod = NoiseSchedule.AlphasCumprod(_betas);
        if (config.RescaleBetasZeroSnr == true) _alphasCumprod[^1] = MathF.Pow(2, -24);
        NumTrainTimesteps = _betas.Length;
        PredictionType = config.PredictionType ?? PredictionType.Epsilon;
        _trainSigmas = NoiseSchedule.Sigmas(_alphasCumprod);
        _lambdas = _alphasCumprod.Select(a => MathF.Log(MathF.Sqrt(a)) - MathF.Log(MathF.Sqrt(1f - a))).ToArray();

        // A DEIS or UniPC config reused here maps to the nearest DPM-Solver settings, as diffusers does.
        _algorithm = config.AlgorithmType switch { null or AlgorithmType.Deis => AlgorithmType.DpmSolverPlusPlus, var a => a.Value };
        _solverType = config.SolverType switch { null or SolverType.LogRho or SolverType.Bh1 or SolverType.Bh2 => SolverType.Midpoint, var s => s.Value };
        _solverOrder = config.SolverOrder ?? 2;
        if (_solverOrder is < 1 or > 3) throw new NotSupportedException($"solver_order {_solverOrder} is not supported (1, 2 or 3).");
        if (_solverOrder == 3 && _algorithm is AlgorithmType.SdeDpmSolver or AlgorithmType.SdeDpmSolverPlusPlus)
            throw new NotSupportedException($"solver_order 3 is not defined for {_algorithm}.");
        _finalSigmasType = config.FinalSigmasType;
        if (_finalSigmasType == FinalSigmasType.Zero && _algorithm is AlgorithmType.DpmSolver or AlgorithmType.SdeDpmSolver)
            throw new NotSupportedException($"final_sigmas_type zero is not supported for {_algorithm}; use sigma_min.");
        _lowerOrderFinal = config.LowerOrderFinal ?? true;
        _eulerAtFinal = config.EulerAtFinal ?? false;
        _karras = config.UseKarrasSigmas ?? false;
        _luLambdas = config.UseLuLambdas ?? false;
        _lambdaMinClipped = config.LambdaMinClipped ?? double.NegativeInfinity;
        _varianceType = config.VarianceType;
        _spacing = config.TimestepSpacing ?? TimestepSpacing.Linspace;
        _stepsOffset = config.StepsOffset ?? 0;

        _timesteps = Enumerable.Range(0, NumTrainTimesteps).Select(t => (long)t).Reverse().ToArray();
        _sigmas = _trainSigmas;
        _modelOutputs = new Tensor?[_solverOrder];
    }

    public SchedulerConfig Config { get; }
    public PredictionType PredictionType { get; }
    public int NumTrainTimesteps { get; }
    public IReadOnlyList<float> Betas => _betas;
    public IReadOnlyList<float> AlphasCumprod => _alphasCumprod;
    public float InitNoiseSigma => 1f;
    public ScalarType TimestepDtype => ScalarType.Int64;
    public IReadOnlyList<double> Timesteps => Array.ConvertAll(_timesteps, t => (double)t);

    /// <summary>σ of each timestep of the run, then the final σ (after <see cref="SetTimesteps"/>).</summary>
    public IReadOnlyList<float> Sigmas => _sigmas;

    public void SetTimesteps(int numInferenceSteps)
    {
        // λ_min clipping (for the cosine schedule): leave out the training steps whose λ is below the threshold.
        // (torch.searchsorted over the flipped λ compares in float64, the threshold being a Python float.)
        int clipped = _lambdas.Count(l => l < _lambdaMinClipped);
        int lastTimestep = NumTrainTimesteps - clipped;
        long[] timesteps = TimestepGrid.DpmSolver(_spacing, NumTrainTimesteps, lastTimestep, numInferenceSteps, _stepsOffset);

        float[] sigmas;
        var logSigmas = _trainSigmas.Select(s => MathF.Log(s)).ToArray();
        if (_karras || _luLambdas)
        {
            double[] grid = _karras
                ? NoiseSchedule.KarrasSigmas(_trainSigmas[0], _trainSigmas[^1], numInferenceSteps)
                // Uniform log-SNR steps (Lu's DPM-Solver): λ linear between the extremes, σ = e^λ.
                : NumPy.Linspace(0, 1, numInferenceSteps).Select(r => Math.Exp(logSigmas[^1] + r * ((double)logSigmas[0] - logSigmas[^1]))).ToArray();
            timesteps = grid.Select(s => (long)NumPy.Round(NoiseSchedule.SigmaToT(s, logSigmas))).ToArray();
            float last = _finalSigmasType == FinalSigmasType.Zero ? 0f : (float)grid[^1];
            sigmas = [.. grid.Select(s => (float)s), last];
        }
        else
        {
            // np.interp at integer timesteps returns the training σ itself.
            float last = _finalSigmasType == FinalSigmasType.Zero ? 0f : _trainSigmas[0];
            sigmas = [.. timesteps.Select(t => (float)NumPy.Interp(t, _trainSigmas)), last];
        }
        _timesteps = timesteps;
        _sigmas = sigmas;
        ResetHistory();
        _stepIndex = null;
    }

    void ResetHistory()
    {
        for (int i = 0; i < _modelOutputs.Length; i++)
        {
            _modelOutputs[i]?.Dispose();
            _modelOutputs[i] = null;
        }
        _lowerOrderNums = 0;
    }

    public Tensor ScaleModelInput(Tensor sample, double timestep) => sample.alias();

    int StepIndex(double timestep)
    {
        if (_stepIndex is { } i) return i;
        var matches = Enumerable.Range(0, _timesteps.Length).Where(k => _timesteps[k] == timestep).ToList();
        _stepIndex = matches.Count switch { 0 => _timesteps.Length - 1, 1 => matches[0], _ => matches[1] };
        return _stepIndex.Value;
    }

    /// <summary>α_t = 1/√(σ²+1), σ_t = σ α_t: the VP pair behind a VE σ.</summary>
    static (float Alpha, float Sigma) AlphaSigma(float sigma)
    {
        float alpha = 1f / MathF.Sqrt(sigma * sigma + 1f);
        return (alpha, sigma * alpha);
    }

    static float Lambda(float alpha, float sigma) => MathF.Log(alpha) - MathF.Log(sigma);

    public SchedulerStepOutput Step(Tensor modelOutput, double timestep, Tensor sample, Generator? generator = null)
    {
        int i = StepIndex(timestep);
        if (i + 1 >= _sigmas.Length) throw new InvalidOperationException("Step called past the last timestep; call SetTimesteps again.");
        int n = _timesteps.Length;
        // Fewer than 15 steps: finish with first/second order, which is more stable (diffusers' lower_order_final).
        // A final σ of 0 makes h infinite, which only the first-order step survives (later diffusers force it then).
        bool lowerOrderFinal = i == n - 1 && (_eulerAtFinal || (_lowerOrderFinal && n < 15) || _finalSigmasType == FinalSigmasType.Zero);
        bool lowerOrderSecond = i == n - 2 && _lowerOrderFinal && n < 15;

        using var scope = NewDisposeScope();
        var converted = ConvertModelOutput(modelOutput, sample, _sigmas[i]);
        _modelOutputs[0]?.Dispose();
        for (int k = 0; k < _solverOrder - 1; k++) _modelOutputs[k] = _modelOutputs[k + 1];
        _modelOutputs[^1] = converted.DetachFromDisposeScope();

        Tensor? noise = _algorithm is AlgorithmType.SdeDpmSolver or AlgorithmType.SdeDpmSolverPlusPlus
            ? SchedulerNoise.Randn(modelOutput, generator)
            : null;

        Tensor prev;
        if (_solverOrder == 1 || _lowerOrderNums < 1 || lowerOrderFinal)
            prev = FirstOrderUpdate(converted, sample, noise, i);
        else if (_solverOrder == 2 || _lowerOrderNums < 2 || lowerOrderSecond)
            prev = SecondOrderUpdate(sample, noise, i);
        else
            prev = ThirdOrderUpdate(sample, i);

        if (_lowerOrderNums < _solverOrder) _lowerOrderNums++;
        _stepIndex = i + 1;
        return new(prev.MoveToOuterDisposeScope(), null);
    }

    /// <summary>What the solver integrates: x̂_0 for the ++ (data-prediction) solvers, ε̂ for the plain ones.</summary>
    Tensor ConvertModelOutput(Tensor modelOutput, Tensor sample, float sigma)
    {
        var (alpha, sigmaT) = AlphaSigma(sigma);
        // A learned-variance model outputs mean and variance channels; the solvers use the mean only.
        if (_varianceType is VarianceType.Learned or VarianceType.LearnedRange && PredictionType == PredictionType.Epsilon)
            modelOutput = modelOutput[.., ..(int)sample.shape[1]];
        bool dataPrediction = _algorithm is AlgorithmType.DpmSolverPlusPlus or AlgorithmType.SdeDpmSolverPlusPlus;
        return (dataPrediction, PredictionType) switch
        {
            (true, PredictionType.Epsilon) => (sample - modelOutput * sigmaT) / alpha,
            (true, PredictionType.Sample) => modelOutput.alias(),
            (true, PredictionType.VPrediction) => sample * alpha - modelOutput * sigmaT,
            (false, PredictionType.Epsilon) => modelOutput.alias(),
            (false, PredictionType.Sample) => (sample - modelOutput * alpha) / sigmaT,
            (false, PredictionType.VPrediction) => modelOutput * alpha + sample * sigmaT,
            _ => throw new NotSupportedException($"prediction_type {PredictionType} is not supported."),
        };
    }

    /// <summary>DPM-Solver-1 / DPM-Solver++(1) (= DDIM), eq. 5 of DPM-Solver++, and the SDE variants (§5 there).</summary>
    Tensor FirstOrderUpdate(Tensor m0, Tensor sample, Tensor? noise, int i)
    {
        var (alphaT, sigmaT) = AlphaSigma(_sigmas[i + 1]);
        var (alphaS, sigmaS) = AlphaSigma(_sigmas[i]);
        float h = Lambda(alphaT, sigmaT) - Lambda(alphaS, sigmaS);
        return _algorithm switch
        {
            AlgorithmType.DpmSolverPlusPlus => sample * (sigmaT / sigmaS) - m0 * (alphaT * (SleefF32.Exp(-h) - 1f)),
            AlgorithmType.DpmSolver => sample * (alphaT / alphaS) - m0 * (sigmaT * (SleefF32.Exp(h) - 1f)),
            AlgorithmType.SdeDpmSolverPlusPlus => sample * (sigmaT / sigmaS * SleefF32.Exp(-h)) + m0 * (alphaT * (1f - SleefF32.Exp(-2f * h)))
                + noise! * (sigmaT * MathF.Sqrt(1f - SleefF32.Exp(-2f * h))),
            AlgorithmType.SdeDpmSolver => sample * (alphaT / alphaS) - m0 * (2f * (sigmaT * (SleefF32.Exp(h) - 1f)))
                + noise! * (sigmaT * MathF.Sqrt(SleefF32.Exp(2f * h) - 1f)),
            var a => throw new NotSupportedException($"algorithm_type {a} is not supported."),
        };
    }

    /// <summary>Multistep second order: D1 = (m0 − m1)/r0 with r0 = h_{i−1}/h_i (DPM-Solver++ Algorithm 2, "2M"),
    /// combined by the midpoint or Heun rule.</summary>
    Tensor SecondOrderUpdate(Tensor sample, Tensor? noise, int i)
    {
        var (alphaT, sigmaT) = AlphaSigma(_sigmas[i + 1]);
        var (alphaS0, sigmaS0) = AlphaSigma(_sigmas[i]);
        var (alphaS1, sigmaS1) = AlphaSigma(_sigmas[i - 1]);
        float lambdaT = Lambda(alphaT, sigmaT), lambdaS0 = Lambda(alphaS0, sigmaS0), lambdaS1 = Lambda(alphaS1, sigmaS1);
        var m0 = _modelOutputs[^1]!;
        var m1 = _modelOutputs[^2]!;
        float h = lambdaT - lambdaS0, h0 = lambdaS0 - lambdaS1;
        float r0 = h0 / h;
        var d0 = m0;
        var d1 = (m0 - m1) * (1f / r0);
        bool midpoint = _solverType == SolverType.Midpoint;
        float expNegH = SleefF32.Exp(-h), expH = SleefF32.Exp(h);
        switch (_algorithm)
        {
            case AlgorithmType.DpmSolverPlusPlus:
                return midpoint
                    ? sample * (sigmaT / sigmaS0) - d0 * (alphaT * (expNegH - 1f)) - d1 * (0.5f * (alphaT * (expNegH - 1f)))
                    : sample * (sigmaT / sigmaS0) - d0 * (alphaT * (expNegH - 1f)) + d1 * (alphaT * ((expNegH - 1f) / h + 1f));
            case AlgorithmType.DpmSolver:
                return midpoint
                    ? sample * (alphaT / alphaS0) - d0 * (sigmaT * (expH - 1f)) - d1 * (0.5f * (sigmaT * (expH - 1f)))
                    : sample * (alphaT / alphaS0) - d0 * (sigmaT * (expH - 1f)) - d1 * (sigmaT * ((expH - 1f) / h - 1f));
            case AlgorithmType.SdeDpmSolverPlusPlus:
            {
                float decay = 1f - SleefF32.Exp(-2f * h);
                var x = sample * (sigmaT / sigmaS0 * expNegH) + d0 * (alphaT * decay);
                x = midpoint ? x + d1 * (0.5f * (alphaT * decay)) : x + d1 * (alphaT * (decay / (-2f * h) + 1f));
                return x + noise! * (sigmaT * MathF.Sqrt(decay));
            }
            case AlgorithmType.SdeDpmSolver:
            {
                var x = sample * (alphaT / alphaS0) - d0 * (2f * (sigmaT * (expH - 1f)));
                x = midpoint ? x - d1 * (sigmaT * (expH - 1f)) : x - d1 * (2f * (sigmaT * ((expH - 1f) / h - 1f)));
                return x + noise! * (sigmaT * MathF.Sqrt(SleefF32.Exp(2f * h) - 1f));
            }
            default:
                throw new NotSupportedException($"algorithm_type {_algorithm} is not supported.");
        }
    }

    /// <summary>Multistep third order (DPM-Solver-3 / DPM-Solver++(3M)): first and second divided differences of the
    /// last three outputs.</summary>
    Tensor ThirdOrderUpdate(Tensor sample, int i)
    {
        var (alphaT, sigmaT) = AlphaSigma(_sigmas[i + 1]);
        var (alphaS0, sigmaS0) = AlphaSigma(_sigmas[i]);
        var (alphaS1, sigmaS1) = AlphaSigma(_sigmas[i - 1]);
        var (alphaS2, sigmaS2) = AlphaSigma(_sigmas[i - 2]);
        float lambdaT = Lambda(alphaT, sigmaT), lambdaS0 = Lambda(alphaS0, sigmaS0);
        float lambdaS1 = Lambda(alphaS1, sigmaS1), lambdaS2 = Lambda(alphaS2, sigmaS2);
        var m0 = _modelOutputs[^1]!;
        var m1 = _modelOutputs[^2]!;
        var m2 = _modelOutputs[^3]!;
        float h = lambdaT - lambdaS0, h0 = lambdaS0 - lambdaS1, h1 = lambdaS1 - lambdaS2;
        float r0 = h0 / h, r1 = h1 / h;
        var d10 = (m0 - m1) * (1f / r0);
        var d11 = (m1 - m2) * (1f / r1);
        var d1 = d10 + (d10 - d11) * (r0 / (r0 + r1));
        var d2 = (d10 - d11) * (1f / (r0 + r1));
        float expNegH = SleefF32.Exp(-h), expH = SleefF32.Exp(h);
        return _algorithm switch
        {
            AlgorithmType.DpmSolverPlusPlus => sample * (sigmaT / sigmaS0) - m0 * (alphaT * (expNegH - 1f))
                + d1 * (alphaT * ((expNegH - 1f) / h + 1f)) - d2 * (alphaT * ((expNegH - 1f + h) / (h * h) - 0.5f)),
            AlgorithmType.DpmSolver => sample * (alphaT / alphaS0) - m0 * (sigmaT * (expH - 1f))
                - d1 * (sigmaT * ((expH - 1f) / h - 1f)) - d2 * (sigmaT * ((expH - 1f - h) / (h * h) - 0.5f)),
            var a => throw new NotSupportedException($"solver_order 3 is not defined for {a}."),
        };
    }
}
