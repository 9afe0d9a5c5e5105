using System.Collections.Concurrent;
using Rpo.Pipeline.Gpu;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;
using Rpo.Pipeline.Tests.Subjects;

namespace Rpo.Pipeline.Tests.Gpu;

/// <summary>
/// What the GPU handler tests share: one models catalog over the tiny model (written once per test process, loaded
/// once, as on a worker), a scratch root, options at tiny sizes, and photo uploads.
/// </summary>
internal static class GpuTestKit
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "rpo-gpu-tests", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
    private static readonly Lazy<GpuModels> SharedModels = new(() => new GpuModels(new GpuModelSettings(Path.Combine(Root, "cache"), Device: "cpu")));

    public static GpuModels Models => SharedModels.Value;

    public static string Scratch => Path.Combine(Root, "scratch");

    public static RunId RunId(string hash = "00000000000000aa") => Rpo.Pipeline.Runs.RunId.Parse("rex-" + hash);

    /// <summary>The tiny model with the fewest steps and images that still exercise every part.</summary>
    public static RunOptions TinyOptions(int steps = 4, int valEvery = 2) => new(
        Steps: steps,
        ValEvery: valEvery,
        Negatives: 1,
        ValImages: 1,
        Seed: 7,
        BaseModel: GpuModels.Tiny,
        Encoder: RewardEncoder.Clip,
        SampleSteps: 2,
        LearningRate: 1e-3);

    public static readonly string[] Prompts = ["a sks dog in the snow", "a sks dog on the beach"];

    /// <summary>Two small photos of the subject (noise, 64 px: the tiny model's resolution, so no resize work).</summary>
    public static async Task<IReadOnlyList<BlobRef>> PutPhotosAsync(IBlobStorage storage, int count = 2)
    {
        var blobs = new List<BlobRef>();
        for (var i = 0; i < count; i++)
        {
            var blob = StorageLayout.SubjectFile("rex", $"{i}.png");
            await storage.WriteAsync(blob, SubjectUploads.Png(64, 64, 100 + i));
            blobs.Add(blob);
        }

        return blobs;
    }

    /// <summary>One negative per prompt, as a generate job would leave them (noise here: training only needs images).</summary>
    public static async Task<IReadOnlyList<PromptImages>> PutNegativesAsync(IBlobStorage storage, RunId runId)
    {
        var negatives = new List<PromptImages>();
        for (var p = 0; p < Prompts.Length; p++)
        {
            var blob = StorageLayout.Negative(runId, p, 0);
            await storage.WriteAsync(blob, SubjectUploads.Png(64, 64, 200 + p));
            negatives.Add(new PromptImages(Prompts[p], [blob]));
        }

        return negatives;
    }

    public static async Task<List<string>> ListAsync(IBlobStorage storage, BlobRef folder)
    {
        var names = new List<string>();
        await foreach (var item in storage.ListAsync(folder))
        {
            names.Add(item.Blob.RelativeTo(folder));
        }

        return names;
    }
}

/// <summary>Records the train job's reports in order; an optional callback runs on each (to interrupt at a point).</summary>
internal sealed class RecordingProgress : ITrainingProgressSink
{
    public ConcurrentQueue<object> Reports { get; } = new();

    public Func<CheckpointSaved, Task>? OnCheckpoint { get; set; }

    public IEnumerable<CheckpointSaved> Checkpoints => Reports.OfType<CheckpointSaved>();

    public Task OnLabelsDrawnAsync(LabelsDrawn report, CancellationToken cancellationToken)
    {
        Reports.Enqueue(report);
        return Task.CompletedTask;
    }

    public async Task OnCheckpointSavedAsync(CheckpointSaved report, CancellationToken cancellationToken)
    {
        Reports.Enqueue(report);
        if (OnCheckpoint is { } callback)
        {
            await callback(report);
        }
    }
}
