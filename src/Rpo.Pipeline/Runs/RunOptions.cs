using System.Text.Json.Serialization;

namespace Rpo.Pipeline.Runs;

/// <summary>The reward model's dual encoder (paper: ALIGN).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RewardEncoder>))]
public enum RewardEncoder
{
    [JsonStringEnumMemberName("align")]
    Align,

    [JsonStringEnumMemberName("clip")]
    Clip,
}

/// <summary>
/// Everything that decides what a run computes, with the paper's defaults. Part of the run id: a change here is a new
/// run. Check with <see cref="Validate"/> (every problem at once) or <see cref="EnsureValid"/>.
/// </summary>
/// <param name="Steps">Optimiser steps (batch of one pair each).</param>
/// <param name="ValEvery">A checkpoint is saved and scored every this many steps.</param>
/// <param name="LambdaTrain">λ of the reward used for the preference labels (0: text similarity only).</param>
/// <param name="LambdaVal">λ of the reward used to pick the best checkpoint.</param>
/// <param name="Beta">Weight of the reference images' denoising loss.</param>
/// <param name="LearningRate">AdamW learning rate.</param>
/// <param name="Negatives">Images the base model generates per training prompt.</param>
/// <param name="ValImages">Images generated per training prompt to score a checkpoint.</param>
/// <param name="LoraRank">Train LoRA adapters of this rank instead of the full UNet; null for full weights.</param>
/// <param name="Seed">Seed of every random draw of the run.</param>
/// <param name="BaseModel">The diffusers model the run starts from (a Hugging Face id or a folder the worker knows).</param>
/// <param name="Encoder">The reward's image/text encoder.</param>
/// <param name="PaperCompat">Reproduce the public code's quirks (e.g. the identifier left in the reward's prompt).</param>
/// <param name="SampleSteps">Denoising steps of every generated image (negatives and checkpoint scoring).</param>
/// <param name="GuidanceScale">Classifier-free guidance of every generated image.</param>
public sealed record RunOptions(
    int Steps = 400,
    int ValEvery = 40,
    double LambdaTrain = 0.0,
    double LambdaVal = 0.3,
    double Beta = 1.0,
    double LearningRate = 5e-6,
    int Negatives = 16,
    int ValImages = 4,
    int? LoraRank = null,
    long Seed = 0,
    string BaseModel = RunOptions.DefaultBaseModel,
    RewardEncoder Encoder = RewardEncoder.Align,
    bool PaperCompat = false,
    int SampleSteps = 50,
    double GuidanceScale = 7.5)
{
    /// <summary>The model the paper's DreamBench numbers were measured on.</summary>
    public const string DefaultBaseModel = "stabilityai/stable-diffusion-2-1";

    public static RunOptions Default { get; } = new();

    /// <summary>Every problem with these options, in a form a user can act on; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Steps < 1)
        {
            problems.Add($"steps must be at least 1 (got {Steps})");
        }

        if (ValEvery < 1)
        {
            problems.Add($"valEvery must be at least 1 (got {ValEvery})");
        }
        else if (Steps >= 1 && ValEvery > Steps)
        {
            problems.Add($"valEvery ({ValEvery}) must not exceed steps ({Steps}), or no checkpoint is ever scored");
        }

        UnitInterval(problems, "lambdaTrain", LambdaTrain);
        UnitInterval(problems, "lambdaVal", LambdaVal);
        if (!double.IsFinite(Beta) || Beta < 0)
        {
            problems.Add($"beta must be a finite number >= 0 (got {Beta})");
        }

        if (!double.IsFinite(LearningRate) || LearningRate <= 0 || LearningRate >= 1)
        {
            problems.Add($"learningRate must be in (0, 1) (got {LearningRate})");
        }

        if (Negatives < 1)
        {
            problems.Add($"negatives must be at least 1 (got {Negatives})");
        }

        if (ValImages < 1)
        {
            problems.Add($"valImages must be at least 1 (got {ValImages})");
        }

        if (LoraRank is < 1)
        {
            problems.Add($"loraRank must be at least 1, or absent for full fine-tuning (got {LoraRank})");
        }

        if (Seed < 0)
        {
            problems.Add($"seed must be >= 0 (got {Seed})");
        }

        if (SampleSteps < 1)
        {
            problems.Add($"sampleSteps must be at least 1 (got {SampleSteps})");
        }

        if (!double.IsFinite(GuidanceScale) || GuidanceScale < 0)
        {
            problems.Add($"guidanceScale must be a finite number >= 0 (got {GuidanceScale})");
        }

        if (string.IsNullOrWhiteSpace(BaseModel))
        {
            problems.Add("baseModel must name a model");
        }

        if (!Enum.IsDefined(Encoder))
        {
            problems.Add($"encoder must be align or clip (got {(int)Encoder})");
        }

        return problems;
    }

    /// <summary>Throws <see cref="RunOptionsException"/> listing every problem.</summary>
    public RunOptions EnsureValid()
    {
        var problems = Validate();
        return problems.Count == 0 ? this : throw new RunOptionsException(problems);
    }

    private static void UnitInterval(List<string> problems, string name, double value)
    {
        if (!(value >= 0 && value <= 1))
        {
            problems.Add($"{name} must be in [0, 1] (got {value})");
        }
    }
}

public sealed class RunOptionsException : ArgumentException
{
    public RunOptionsException(IReadOnlyList<string> problems)
        : base("Invalid run options: " + string.Join("; ", problems) + ".")
    {
        Problems = problems;
    }

    public RunOptionsException()
        : this([])
    {
    }

    public RunOptionsException(string message)
        : this([message])
    {
    }

    public RunOptionsException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [message];
    }

    public IReadOnlyList<string> Problems { get; }
}
