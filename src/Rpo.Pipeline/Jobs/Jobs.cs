using System.Text.Json.Serialization;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Jobs;

/// <summary>
/// A unit of GPU work. Jobs carry blob references and small values only, never tensors or image bytes, so a message
/// stays far below Service Bus's size limit and any worker that can reach the storage can run it. The body names its
/// kind ("kind": "train"), so it parses without the transport's metadata.
/// </summary>
/// <param name="RunId">The run the job belongs to.</param>
/// <param name="Index">Distinguishes jobs of one kind in a run (the checkpoint's ordinal, the generate batch);
/// with run id and kind it makes the job id Service Bus deduplicates on.</param>
[JsonPolymorphic(TypeDiscriminatorPropertyName = JobMessages.KindProperty, UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(TrainJob), "train")]
[JsonDerivedType(typeof(ScoreCheckpointJob), "score-checkpoint")]
[JsonDerivedType(typeof(GenerateJob), "generate")]
public abstract record Job(RunId RunId, int Index)
{
    [JsonIgnore]
    public abstract JobKind Kind { get; }

    [JsonIgnore]
    public string JobId => JobKinds.JobId(RunId.Value, Kind, Index);
}

/// <summary>Negative images generated from one training prompt.</summary>
public sealed record PromptImages(string Prompt, IReadOnlyList<BlobRef> Images);

/// <summary>Fine-tune the UNet with RPO, saving a checkpoint every <see cref="RunOptions.ValEvery"/> steps.</summary>
/// <param name="ReferencePrompt">"a photo of [V] dog".</param>
/// <param name="ReferenceImages">The subject's uploads.</param>
/// <param name="Negatives">The base model's images per training prompt.</param>
/// <param name="CheckpointsFolder">Where checkpoints go (work/{runId}/checkpoints/); one folder per step.</param>
/// <param name="ResumeFrom">A checkpoint folder to continue from, after a lost worker.</param>
public sealed record TrainJob(
    RunId RunId,
    int Index,
    RunOptions Options,
    string ReferencePrompt,
    IReadOnlyList<BlobRef> ReferenceImages,
    IReadOnlyList<PromptImages> Negatives,
    BlobRef CheckpointsFolder,
    BlobRef? ResumeFrom = null)
    : Job(RunId, Index)
{
    public override JobKind Kind => JobKind.Train;
}

/// <summary>Generate validation images with one checkpoint and score them with the λ_val reward.</summary>
/// <param name="Checkpoint">The checkpoint's folder (a diffusers UNet).</param>
/// <param name="Prompts">The training prompts, with the identifier.</param>
/// <param name="Output">Where the score JSON goes; images go beside it.</param>
public sealed record ScoreCheckpointJob(
    RunId RunId,
    int Index,
    int Step,
    RunOptions Options,
    BlobRef Checkpoint,
    IReadOnlyList<BlobRef> ReferenceImages,
    IReadOnlyList<string> Prompts,
    BlobRef Output)
    : Job(RunId, Index)
{
    public override JobKind Kind => JobKind.ScoreCheckpoint;
}

/// <summary>Generate images: the negatives with the base model, or samples of a published / fine-tuned UNet.</summary>
/// <param name="BaseModel">The diffusers model that provides everything but (optionally) the UNet.</param>
/// <param name="Unet">A fine-tuned UNet folder replacing the base model's; null for the base model.</param>
/// <param name="OutputFolder">Images go here as {promptIndex:D2}/{imageIndex:D3}.png.</param>
public sealed record GenerateJob(
    RunId RunId,
    int Index,
    string BaseModel,
    BlobRef? Unet,
    IReadOnlyList<string> Prompts,
    int ImagesPerPrompt,
    long Seed,
    BlobRef OutputFolder,
    int InferenceSteps = 50,
    double GuidanceScale = 7.5)
    : Job(RunId, Index)
{
    public override JobKind Kind => JobKind.Generate;
}
