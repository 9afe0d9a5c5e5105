namespace Rpo.Training;

/// <summary>Precision of the UNet weights a checkpoint writes.</summary>
public enum CheckpointPrecision
{
    Float32,
    Float16,
}

/// <summary>Low-rank adapters on the UNet attention projections instead of full fine-tuning.</summary>
/// <param name="Rank">r of ΔW = B·A.</param>
/// <param name="Alpha">The adapter output is scaled by Alpha / Rank (peft's lora_alpha).</param>
public sealed record LoraOptions(int Rank = 4, double Alpha = 4)
{
    public double Scale => Alpha / Rank;
}

/// <summary>
/// Steps 4–6 of RPO. Defaults are the paper's (and the public code's where the paper is silent): AdamW lr 5e-6, betas
/// (0.9, 0.999), eps 1e-8, weight decay 0.01 (set explicitly: TorchSharp's AdamW defaults to 0), grad-norm clip 1.0,
/// β 1.0, 400 steps of one pair, a checkpoint every 40 steps, 512 px random-crop augmentation.
/// </summary>
public sealed record TrainingOptions
{
    public int Steps { get; init; } = 400;
    public int ValEvery { get; init; } = 40;
    public double LearningRate { get; init; } = 5e-6;
    public double WeightDecay { get; init; } = 0.01;
    public double AdamBeta1 { get; init; } = 0.9;
    public double AdamBeta2 { get; init; } = 0.999;
    public double AdamEpsilon { get; init; } = 1e-8;
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Weight of mean(ℓθ_ref) in the loss.</summary>
    public double Beta { get; init; } = 1.0;
    public long Seed { get; init; }
    /// <summary>Training images are resized (shorter side) to this and cropped to a square of it.</summary>
    public int Resolution { get; init; } = 512;
    /// <summary>Centre crop instead of the reference's random crop.</summary>
    public bool CenterCrop { get; init; }
    public CheckpointPrecision CheckpointPrecision { get; init; } = CheckpointPrecision.Float32;
    /// <summary>Null: full fine-tuning of the UNet (the paper's setting).</summary>
    public LoraOptions? Lora { get; init; }
    /// <summary>Keep the frozen reference UNet in bfloat16; the trained weights and the loss stay float32.</summary>
    public bool FrozenInBFloat16 { get; init; }
    /// <summary>Recompute each UNet resnet and transformer block in the backward instead of storing its activations.</summary>
    public bool GradientCheckpointing { get; init; }

    public void Validate()
    {
        if (Steps <= 0) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "must be positive.");
        if (ValEvery <= 0) throw new ArgumentOutOfRangeException(nameof(ValEvery), ValEvery, "must be positive.");
        if (LearningRate <= 0) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "must be positive.");
        if (WeightDecay < 0) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "must not be negative.");
        if (MaxGradNorm <= 0) throw new ArgumentOutOfRangeException(nameof(MaxGradNorm), MaxGradNorm, "must be positive.");
        if (Beta < 0) throw new ArgumentOutOfRangeException(nameof(Beta), Beta, "must not be negative.");
        if (Resolution <= 0) throw new ArgumentOutOfRangeException(nameof(Resolution), Resolution, "must be positive.");
        if (Lora is { Rank: <= 0 }) throw new ArgumentOutOfRangeException(nameof(Lora), Lora.Rank, "LoRA rank must be positive.");
    }
}
