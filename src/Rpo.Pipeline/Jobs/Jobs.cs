using System.Text.Json.Serialization;
using Rpo.Pipeline.Orchestration;
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

    /// <summary>
    /// Problems a well-formed body can still have (nulls inside lists, which the serializer lets through, and values
    /// out of range), each naming its field; empty when the job can run.
    /// </summary>
    public IReadOnlyList<(string Field, string Problem)> Check()
    {
        var problems = new List<(string Field, string Problem)>();
        if (Index < 0)
        {
            problems.Add(("index", $"must be >= 0 (got {Index})"));
        }

        CheckFields(problems);
        return problems;
    }

    private protected abstract void CheckFields(List<(string Field, string Problem)> problems);

    private protected static void CheckOptions(List<(string Field, string Problem)> problems, RunOptions options) =>
        problems.AddRange(options.Validate().Select(p => ("options", p)));

    private protected static void IdentifierField(List<(string Field, string Problem)> problems, string identifier)
    {
        if (string.IsNullOrWhiteSpace(identifier))
        {
            problems.Add(("identifier", "must name the subject's token"));
        }
    }

    private protected static void Items<T>(List<(string Field, string Problem)> problems, string field, IReadOnlyList<T?> items, bool required = true)
        where T : class
    {
        if (required && items.Count == 0)
        {
            problems.Add((field, "must not be empty"));
        }

        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is null)
            {
                problems.Add(($"{field}[{i}]", "is null"));
            }
        }
    }

    private protected static void Blob(List<(string Field, string Problem)> problems, string field, BlobRef? blob, bool folder)
    {
        if (blob is not null && blob.IsFolder != folder)
        {
            problems.Add((field, folder ? $"'{blob}' must be a folder (end with '/')" : $"'{blob}' must be a blob, not a folder"));
        }
    }
}

/// <summary>Negative images generated from one training prompt.</summary>
public sealed record PromptImages(string Prompt, IReadOnlyList<BlobRef> Images);

/// <summary>Fine-tune the UNet with RPO, saving a checkpoint every <see cref="RunOptions.ValEvery"/> steps.</summary>
/// <param name="ReferencePrompt">"a photo of [V] dog".</param>
/// <param name="ReferenceImages">The subject's uploads.</param>
/// <param name="Negatives">The base model's images per training prompt.</param>
/// <param name="CheckpointsFolder">Where checkpoints go (work/{runId}/checkpoints/); one folder per step.</param>
/// <param name="ResumeFrom">A checkpoint folder to continue from, after a lost worker.</param>
/// <param name="Identifier">The subject's token in the prompts, left out of the text the reward reads (unless PaperCompat).</param>
public sealed record TrainJob(
    RunId RunId,
    int Index,
    RunOptions Options,
    string ReferencePrompt,
    IReadOnlyList<BlobRef> ReferenceImages,
    IReadOnlyList<PromptImages> Negatives,
    BlobRef CheckpointsFolder,
    BlobRef? ResumeFrom = null,
    string Identifier = RunRequest.DefaultIdentifier)
    : Job(RunId, Index)
{
    [JsonIgnore]
    public override JobKind Kind => JobKind.Train;

    private protected override void CheckFields(List<(string Field, string Problem)> problems)
    {
        CheckOptions(problems, Options);
        Items(problems, "referenceImages", ReferenceImages);
        Items(problems, "negatives", Negatives, required: false);
        for (var i = 0; i < Negatives.Count; i++)
        {
            if (Negatives[i] is { } negatives)
            {
                Items(problems, $"negatives[{i}].images", negatives.Images);
            }
        }

        Blob(problems, "checkpointsFolder", CheckpointsFolder, folder: true);
        Blob(problems, "resumeFrom", ResumeFrom, folder: true);
        IdentifierField(problems, Identifier);
    }
}

/// <summary>Generate validation images with one checkpoint and score them with the λ_val reward.</summary>
/// <param name="Checkpoint">The checkpoint's folder (a diffusers UNet).</param>
/// <param name="Prompts">The training prompts, with the identifier.</param>
/// <param name="Output">Where the score JSON goes; images go beside it.</param>
/// <param name="Identifier">The subject's token in the prompts, left out of the text the reward reads (unless PaperCompat).</param>
public sealed record ScoreCheckpointJob(
    RunId RunId,
    int Index,
    int Step,
    RunOptions Options,
    BlobRef Checkpoint,
    IReadOnlyList<BlobRef> ReferenceImages,
    IReadOnlyList<string> Prompts,
    BlobRef Output,
    string Identifier = RunRequest.DefaultIdentifier)
    : Job(RunId, Index)
{
    [JsonIgnore]
    public override JobKind Kind => JobKind.ScoreCheckpoint;

    private protected override void CheckFields(List<(string Field, string Problem)> problems)
    {
        if (Step < 0)
        {
            problems.Add(("step", $"must be >= 0 (got {Step})"));
        }

        CheckOptions(problems, Options);
        Blob(problems, "checkpoint", Checkpoint, folder: true);
        Items(problems, "referenceImages", ReferenceImages);
        Items(problems, "prompts", Prompts);
        Blob(problems, "output", Output, folder: false);
        IdentifierField(problems, Identifier);
    }
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
    [JsonIgnore]
    public override JobKind Kind => JobKind.Generate;

    private protected override void CheckFields(List<(string Field, string Problem)> problems)
    {
        if (string.IsNullOrWhiteSpace(BaseModel))
        {
            problems.Add(("baseModel", "must name a model"));
        }

        Blob(problems, "unet", Unet, folder: true);
        Items(problems, "prompts", Prompts);
        if (ImagesPerPrompt < 1)
        {
            problems.Add(("imagesPerPrompt", $"must be at least 1 (got {ImagesPerPrompt})"));
        }

        if (Seed < 0)
        {
            problems.Add(("seed", $"must be >= 0 (got {Seed})"));
        }

        if (InferenceSteps < 1)
        {
            problems.Add(("inferenceSteps", $"must be at least 1 (got {InferenceSteps})"));
        }

        if (!double.IsFinite(GuidanceScale) || GuidanceScale < 0)
        {
            problems.Add(("guidanceScale", $"must be a finite number >= 0 (got {GuidanceScale})"));
        }

        Blob(problems, "outputFolder", OutputFolder, folder: true);
    }
}
