using System.Text.Json.Serialization;
using Rpo.Diffusion.Configs;

namespace Rpo.Diffusion.Schedulers;

/// <summary>
/// A diffusers <c>scheduler_config.json</c>. Every field is nullable on purpose: a key absent from the file takes the
/// default of the scheduler class that reads it, which is how diffusers' <c>from_config</c> lets DDIM, Euler and
/// DPM-Solver share one model's config (each class's defaults are listed in its own file).
/// </summary>
public sealed record SchedulerConfig
{
    [JsonPropertyName("_class_name")] public string? ClassName { get; init; }
    [JsonPropertyName("_diffusers_version")] public string? DiffusersVersion { get; init; }

    public int? NumTrainTimesteps { get; init; }
    public double? BetaStart { get; init; }
    public double? BetaEnd { get; init; }
    public BetaSchedule? BetaSchedule { get; init; }
    public double[]? TrainedBetas { get; init; }
    public PredictionType? PredictionType { get; init; }
    public TimestepSpacing? TimestepSpacing { get; init; }
    public int? StepsOffset { get; init; }
    public bool? RescaleBetasZeroSnr { get; init; }

    // DDPM / DDIM
    public bool? SetAlphaToOne { get; init; }
    public bool? ClipSample { get; init; }
    public double? ClipSampleRange { get; init; }
    public bool? Thresholding { get; init; }
    public double? DynamicThresholdingRatio { get; init; }
    public double? SampleMaxValue { get; init; }
    public VarianceType? VarianceType { get; init; }

    // DPM-Solver multistep
    public AlgorithmType? AlgorithmType { get; init; }
    public int? SolverOrder { get; init; }
    public SolverType? SolverType { get; init; }
    public bool? LowerOrderFinal { get; init; }
    public bool? EulerAtFinal { get; init; }
    public bool? UseLuLambdas { get; init; }
    public double? LambdaMinClipped { get; init; }
    public FinalSigmasType? FinalSigmasType { get; init; }

    // Euler discrete (use_karras_sigmas is shared with DPM-Solver)
    public bool? UseKarrasSigmas { get; init; }
    public InterpolationType? InterpolationType { get; init; }
    public TimestepType? TimestepType { get; init; }
    public double? SigmaMin { get; init; }
    public double? SigmaMax { get; init; }

    public static SchedulerConfig Load(string path) => ConfigJson.Load<SchedulerConfig>(path);

    public static SchedulerConfig Parse(string json) => ConfigJson.Parse<SchedulerConfig>(json);

    /// <summary>Dynamic thresholding (Imagen) is for pixel-space models; no SD scheduler config turns it on.</summary>
    internal void ThrowIfThresholding(string scheduler)
    {
        if (Thresholding == true)
            throw new NotSupportedException($"{scheduler}: thresholding=true (dynamic thresholding) is not supported.");
    }
}

[JsonConverter(typeof(JsonStringEnumConverter<BetaSchedule>))]
public enum BetaSchedule
{
    [JsonStringEnumMemberName("linear")] Linear,
    [JsonStringEnumMemberName("scaled_linear")] ScaledLinear,
    [JsonStringEnumMemberName("squaredcos_cap_v2")] SquaredCosCapV2,
}

[JsonConverter(typeof(JsonStringEnumConverter<PredictionType>))]
public enum PredictionType
{
    [JsonStringEnumMemberName("epsilon")] Epsilon,
    [JsonStringEnumMemberName("v_prediction")] VPrediction,
    [JsonStringEnumMemberName("sample")] Sample,
}

[JsonConverter(typeof(JsonStringEnumConverter<TimestepSpacing>))]
public enum TimestepSpacing
{
    [JsonStringEnumMemberName("leading")] Leading,
    [JsonStringEnumMemberName("trailing")] Trailing,
    [JsonStringEnumMemberName("linspace")] Linspace,
}

[JsonConverter(typeof(JsonStringEnumConverter<VarianceType>))]
public enum VarianceType
{
    [JsonStringEnumMemberName("fixed_small")] FixedSmall,
    [JsonStringEnumMemberName("fixed_small_log")] FixedSmallLog,
    [JsonStringEnumMemberName("fixed_large")] FixedLarge,
    [JsonStringEnumMemberName("fixed_large_log")] FixedLargeLog,
    [JsonStringEnumMemberName("learned")] Learned,
    [JsonStringEnumMemberName("learned_range")] LearnedRange,
}

[JsonConverter(typeof(JsonStringEnumConverter<AlgorithmType>))]
public enum AlgorithmType
{
    [JsonStringEnumMemberName("dpmsolver++")] DpmSolverPlusPlus,
    [JsonStringEnumMemberName("sde-dpmsolver++")] SdeDpmSolverPlusPlus,
    [JsonStringEnumMemberName("dpmsolver")] DpmSolver,
    [JsonStringEnumMemberName("sde-dpmsolver")] SdeDpmSolver,
    /// <summary>diffusers maps "deis" to "dpmsolver++" when a DEIS config is reused.</summary>
    [JsonStringEnumMemberName("deis")] Deis,
}

[JsonConverter(typeof(JsonStringEnumConverter<SolverType>))]
public enum SolverType
{
    [JsonStringEnumMemberName("midpoint")] Midpoint,
    [JsonStringEnumMemberName("heun")] Heun,
    // UniPC / DEIS solver types, which diffusers maps to midpoint for DPM-Solver.
    [JsonStringEnumMemberName("logrho")] LogRho,
    [JsonStringEnumMemberName("bh1")] Bh1,
    [JsonStringEnumMemberName("bh2")] Bh2,
}

[JsonConverter(typeof(JsonStringEnumConverter<FinalSigmasType>))]
public enum FinalSigmasType
{
    [JsonStringEnumMemberName("zero")] Zero,
    [JsonStringEnumMemberName("sigma_min")] SigmaMin,
}

[JsonConverter(typeof(JsonStringEnumConverter<InterpolationType>))]
public enum InterpolationType
{
    [JsonStringEnumMemberName("linear")] Linear,
    [JsonStringEnumMemberName("log_linear")] LogLinear,
}

[JsonConverter(typeof(JsonStringEnumConverter<TimestepType>))]
public enum TimestepType
{
    [JsonStringEnumMemberName("discrete")] Discrete,
    [JsonStringEnumMemberName("continuous")] Continuous,
}
