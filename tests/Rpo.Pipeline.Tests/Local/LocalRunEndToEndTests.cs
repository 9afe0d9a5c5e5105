using Rpo.Pipeline.Gpu;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Local;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;
using Rpo.Pipeline.Subjects;
using Rpo.Pipeline.Tests.Storage;
using static Rpo.Pipeline.Tests.Subjects.SubjectUploads;

namespace Rpo.Pipeline.Tests.Local;

/// <summary>
/// <c>rpo run</c>'s pipeline for real at the tiny size: the local runner with the real GPU job handlers on the tiny
/// model, storage on Azurite. One process is killed after its first checkpoint; the next one on the same storage goes on
/// from that checkpoint and publishes; a third finds the run done.
/// </summary>
public sealed class LocalRunEndToEndTests
{
    private const string Subject = "rex";
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(8);

    /// <summary>The smallest run that still has two checkpoints: the first is where the process dies.</summary>
    private static readonly RunOptions Tiny = new(
        Steps: 4, ValEvery: 2, Negatives: 1, ValImages: 1, SampleSteps: 2, LearningRate: 1e-3, Seed: 3, BaseModel: GpuModels.Tiny, Encoder: RewardEncoder.Clip);

    private static readonly string Root = Path.Combine(Path.GetTempPath(), "rpo-local-run-tests", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static readonly Lazy<GpuModels> Models = new(() => new GpuModels(new GpuModelSettings(Path.Combine(Root, "cache"), Device: "cpu")));

    /// <summary>Passes the train job's reports on, and lets the test act on a checkpoint first.</summary>
    private sealed class Intercept(ITrainingProgressSink inner, Func<CheckpointSaved, Task> onCheckpoint) : ITrainingProgressSink
    {
        public Task OnLabelsDrawnAsync(LabelsDrawn report, CancellationToken cancellationToken) => inner.OnLabelsDrawnAsync(report, cancellationToken);

        public async Task OnCheckpointSavedAsync(CheckpointSaved report, CancellationToken cancellationToken)
        {
            await onCheckpoint(report);
            await inner.OnCheckpointSavedAsync(report, cancellationToken);
        }
    }

    private static Task<LocalRunner> StartAsync(IBlobStorage store, Func<CheckpointSaved, Task> onCheckpoint) =>
        LocalRunner.StartAsync(
            store,
            sink => GpuJobHandlers.Create(store, Models.Value, new Intercept(sink, onCheckpoint), Path.Combine(Root, "scratch")),
            new LocalRunnerOptions { PollInterval = TimeSpan.FromMilliseconds(100), HeartbeatInterval = TimeSpan.FromMilliseconds(500) });

    private static async Task<Dictionary<string, BlobETag>> ETagsAsync(IBlobStorage store, BlobRef folder)
    {
        var tags = new Dictionary<string, BlobETag>(StringComparer.Ordinal);
        await foreach (var item in store.ListAsync(folder))
        {
            tags[item.Blob.RelativeTo(folder)] = (await store.GetETagAsync(item.Blob))!.Value;
        }

        return tags;
    }

    [Fact]
    public async Task A_run_killed_after_its_first_checkpoint_resumes_from_it_on_azurite_publishes_rpo_json_and_a_grid_and_is_then_one_run()
    {
        await using var azurite = new AzuriteStoreUnderTest(await Azurite.CreateStoreAsync());
        var store = azurite.Store;
        await PutAsync(
            store,
            Subject,
            ("a.png", Png(256, 256, 1)),
            ("b.png", Png(256, 300, 2)),
            ("subject.json", SubjectUpload.Serialize(new SubjectManifest("dog", Tiny))));

        // 1. Killed once the first checkpoint is complete in storage (its report is what tells).
        var firstCheckpoint = new TaskCompletionSource<CheckpointSaved>(TaskCreationOptions.RunContinuationsAsynchronously);
        var killed = await StartAsync(store, report =>
        {
            firstCheckpoint.TrySetResult(report);
            return Task.CompletedTask;
        });
        var doomed = killed.RunAsync(Subject);
        using (var wait = new CancellationTokenSource(Patience))
        {
            Assert.Equal(2, (await firstCheckpoint.Task.WaitAsync(wait.Token)).Step);
        }

        await killed.DisposeAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => doomed);
        var runId = RunId.For(Subject, await RunInputs.ReadAsync(store, Subject), Tiny);
        Assert.False((await RunStatusDocument.ReadAsync(store, runId))!.Value.Document.IsFinished);
        var checkpointFolder = StorageLayout.Checkpoint(runId, 2);
        var before = await ETagsAsync(store, checkpointFolder);
        Assert.NotEmpty(before);

        // 2. Started again on the same storage: resumed, and the checkpoint at step 2 is the killed attempt's, not redone.
        var reports = new List<int>();
        LocalRunResult resumed;
        await using (var again = await StartAsync(store, report =>
        {
            lock (reports)
            {
                reports.Add(report.Step);
            }

            return Task.CompletedTask;
        }))
        {
            using var wait = new CancellationTokenSource(Patience);
            resumed = await again.RunAsync(Subject).WaitAsync(wait.Token);
        }

        Assert.Equal(LocalRunMode.Resumed, resumed.Mode);
        Assert.Equal(runId, resumed.RunId);
        Assert.True(resumed.Final.Succeeded, resumed.Final.Failure);
        Assert.Equal(before, await ETagsAsync(store, checkpointFolder));
        Assert.Equal([2, 4], reports);
        Assert.Equal([2, 4], resumed.Final.Outcome!.Checkpoints.Select(c => c.Step));

        // Published: the UNet, rpo.json with every checkpoint's reward, and the grid; latest.json points at it.
        var version = StorageLayout.VersionFor(runId);
        var pointer = await new ModelPublisher(store).ReadLatestAsync(Subject);
        Assert.Equal(version, pointer!.Version);
        Assert.Contains(StorageLayout.ManifestName, pointer.Files);
        Assert.Contains(StorageLayout.GridName, pointer.Files);
        Assert.Contains(pointer.Files, f => f.StartsWith("unet/", StringComparison.Ordinal));
        var manifest = await new ModelPublisher(store).ReadManifestAsync(Subject, version);
        Assert.Equal(resumed.Final.Outcome.BestStep, manifest.SelectedStep);
        Assert.Equal(Tiny, manifest.Options);
        var grid = await store.ReadAsync(StorageLayout.ModelGrid(Subject, version));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], grid.Content[..4].ToArray());

        // 3. The same uploads once more: the finished run is reported and nothing runs.
        var idle = new List<int>();
        await using (var third = await StartAsync(store, report =>
        {
            idle.Add(report.Step);
            return Task.CompletedTask;
        }))
        {
            var again = await third.RunAsync(Subject);
            Assert.Equal(LocalRunMode.AlreadyFinished, again.Mode);
            Assert.Equal(runId, again.RunId);
        }

        Assert.Empty(idle);
    }
}
