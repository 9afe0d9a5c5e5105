using System.Text.Json;
using Rpo.Diffusion.Weights;
using Rpo.Pipeline.Gpu;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;
using Rpo.Pipeline.Tests.Storage;
using Rpo.Pipeline.Tests.Subjects;
using Rpo.Training.Preferences;

namespace Rpo.Pipeline.Tests.Gpu;

/// <summary>The train job on the tiny model: 3-4 steps of one pair at 64 px, checkpoints every 2 steps.</summary>
public sealed class TrainJobHandlerTests : IAsyncDisposable
{
    private static readonly TrainJobSettings PollEveryStep = new(TimeSpan.Zero);
    private readonly TempLocalStore _temp = new();
    private readonly TempLocalStore _other = new();

    private static async Task<TrainJob> JobAsync(IBlobStorage store, RunOptions options)
    {
        var runId = GpuTestKit.RunId();
        return new TrainJob(
            runId,
            0,
            options,
            "a photo of sks dog",
            await GpuTestKit.PutPhotosAsync(store),
            await GpuTestKit.PutNegativesAsync(store, runId),
            StorageLayout.CheckpointsFolder(runId));
    }

    private static TrainJobHandler Handler(IBlobStorage store, ITrainingProgressSink progress) =>
        new(store, GpuTestKit.Models, progress, GpuTestKit.Scratch, PollEveryStep);

    [Fact]
    public async Task Draws_labels_then_reports_each_scheduled_checkpoint_once_it_is_complete_in_storage()
    {
        var markerChecks = 0;
        var job = await JobAsync(_temp.Store, GpuTestKit.TinyOptions(steps: 3, valEvery: 2));
        var store = new InterceptingStorage(_temp.Store)
        {
            BeforeExists = blob => markerChecks += blob == StorageLayout.CancelMarker(job.RunId) ? 1 : 0,
        };
        var progress = new RecordingProgress();
        var completeWhenReported = new List<bool>();
        progress.OnCheckpoint = async saved =>
        {
            var names = await GpuTestKit.ListAsync(store, saved.Checkpoint);
            completeWhenReported.Add(names.SequenceEqual(["config.json", "diffusion_pytorch_model.safetensors"])
                && await store.ExistsAsync(StorageLayout.Checkpoint(job.RunId, saved.Step).Combine("checkpoint.json")));
        };

        // Polls for the cancel marker at most once an hour: the one look at the start.
        var result = await new TrainJobHandler(store, GpuTestKit.Models, progress, GpuTestKit.Scratch, new TrainJobSettings(TimeSpan.FromHours(1))).HandleAsync(job, CancellationToken.None);

        Assert.True(result.Succeeded, result.Error?.Message);
        Assert.Equal(1, markerChecks);
        var reports = progress.Reports.ToList();
        var labels = Assert.IsType<LabelsDrawn>(reports[0]);
        Assert.Equal(StorageLayout.WorkFile(job.RunId, "labels.json"), labels.Labels);
        Assert.Equal([2, 3], progress.Checkpoints.Select(c => c.Step));
        Assert.Equal([true, true], completeWhenReported);
        Assert.All(progress.Checkpoints, c => Assert.Equal(StorageLayout.Checkpoint(job.RunId, c.Step).Combine("unet/"), c.Checkpoint));
        Assert.All(progress.Checkpoints, c => Assert.True(double.IsFinite(c.Loss) && c.Loss > 0));
        var gpu = progress.Reports.Select(r => r is CheckpointSaved c ? c.GpuSeconds : ((LabelsDrawn)r).GpuSeconds).Append(result.GpuSeconds).ToList();
        Assert.Equal(gpu.Order(), gpu);

        // The labels are auditable: every pair's rewards, probability and label, one pair per negative.
        var record = JsonSerializer.Deserialize<PreferenceRecord>(
            (await store.ReadAsync(labels.Labels)).Content.Span,
            new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower })!;
        Assert.Equal(2, record.Pairs.Count);
        Assert.All(record.Pairs, p => Assert.InRange(p.GeneratedReward, 0, 1));
        Assert.Equal(["optimizer.bin", "trainer_state.json", "unet/"], (await GpuTestKit.ListAsync(store, StorageLayout.Checkpoint(job.RunId, 3)))
            .Where(n => n != "checkpoint.json").Select(n => n.StartsWith("unet/", StringComparison.Ordinal) ? "unet/" : n).Distinct());
    }

    [Fact]
    public async Task A_job_killed_after_its_first_checkpoint_resumes_from_it_to_the_same_weights_and_reports_the_earlier_checkpoint_again()
    {
        var options = GpuTestKit.TinyOptions(steps: 4, valEvery: 2);

        // The run that never stopped, in a store of its own.
        var whole = await JobAsync(_other.Store, options);
        var wholeProgress = new RecordingProgress();
        Assert.True((await Handler(_other.Store, wholeProgress).HandleAsync(whole, CancellationToken.None)).Succeeded);

        // Killed (the worker's stopping token) right after the checkpoint at step 2 was reported.
        var job = await JobAsync(_temp.Store, options);
        using var kill = new CancellationTokenSource();
        var first = new RecordingProgress { OnCheckpoint = _ => kill.CancelAsync() };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Handler(_temp.Store, first).HandleAsync(job, kill.Token));
        Assert.Equal([2], first.Checkpoints.Select(c => c.Step));
        Assert.False(await _temp.Store.ExistsAsync(StorageLayout.Checkpoint(job.RunId, 4).Combine("checkpoint.json")));

        // A new process (handler) picks the job up again.
        var second = new RecordingProgress();
        var result = await Handler(_temp.Store, second).HandleAsync(job, CancellationToken.None);

        Assert.True(result.Succeeded, result.Error?.Message);
        Assert.IsType<LabelsDrawn>(second.Reports.First());
        Assert.Equal([2, 4], second.Checkpoints.Select(c => c.Step));
        var again = second.Checkpoints.First();
        Assert.Equal(first.Checkpoints.Single(), again);
        Assert.True(second.Checkpoints.Last().GpuSeconds > again.GpuSeconds);
        Assert.Equal(wholeProgress.Checkpoints.Last().Loss, second.Checkpoints.Last().Loss, 1e-6);
        await AssertSameWeightsAsync(_other.Store, _temp.Store, StorageLayout.Checkpoint(job.RunId, 4).Combine("unet/diffusion_pytorch_model.safetensors"));
    }

    [Fact]
    public async Task A_stopping_lora_job_saves_an_unreported_resume_checkpoint_and_continues_from_it()
    {
        var job = await JobAsync(_temp.Store, GpuTestKit.TinyOptions(steps: 3, valEvery: 2) with { LoraRank = 2 });
        using var kill = new CancellationTokenSource();
        var markerChecks = 0;

        // SIGTERM arrives during step 1 (the second look at the cancel marker comes just before it).
        var store = new InterceptingStorage(_temp.Store)
        {
            BeforeExists = blob =>
            {
                if (blob == StorageLayout.CancelMarker(job.RunId) && ++markerChecks == 2)
                {
                    kill.Cancel();
                }
            },
        };
        var first = new RecordingProgress();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Handler(store, first).HandleAsync(job, kill.Token));

        Assert.Empty(first.Checkpoints);
        var resumeOnly = await GpuTestKit.ListAsync(store, StorageLayout.Checkpoint(job.RunId, 1));
        Assert.Equal(["checkpoint.json", "lora/pytorch_lora_weights.safetensors", "optimizer.bin", "trainer_state.json"], resumeOnly);
        Assert.False(JsonDocument.Parse((await store.ReadAsync(StorageLayout.Checkpoint(job.RunId, 1).Combine("checkpoint.json"))).Content).RootElement.GetProperty("scheduled").GetBoolean());

        var second = new RecordingProgress();
        var result = await Handler(_temp.Store, second).HandleAsync(job, CancellationToken.None);

        Assert.True(result.Succeeded, result.Error?.Message);
        Assert.Equal([2, 3], second.Checkpoints.Select(c => c.Step));
        var last = second.Checkpoints.Last();
        Assert.Equal(StorageLayout.Checkpoint(job.RunId, 3).Combine("lora/"), last.Checkpoint);
        Assert.Equal(["pytorch_lora_weights.safetensors"], await GpuTestKit.ListAsync(store, last.Checkpoint));

        // The adapters alone are a model: scoring applies them to the base UNet.
        var score = new ScoreCheckpointJob(job.RunId, 1, 3, job.Options, last.Checkpoint, job.ReferenceImages, GpuTestKit.Prompts, StorageLayout.CheckpointScore(job.RunId, 3));
        var scored = await new ScoreCheckpointJobHandler(store, GpuTestKit.Models, GpuTestKit.Scratch).HandleAsync(score, CancellationToken.None);
        Assert.True(scored.Succeeded, scored.Error?.Message);
        Assert.InRange(scored.Metrics[ScoreMetrics.Reward], 0, 1);
    }

    [Fact]
    public async Task The_cancel_marker_stops_training_between_steps_with_a_canceled_result()
    {
        var markerChecks = 0;
        var job = await JobAsync(_temp.Store, GpuTestKit.TinyOptions(steps: 4, valEvery: 2));
        var store = new InterceptingStorage(_temp.Store)
        {
            BeforeExists = blob => markerChecks += blob == StorageLayout.CancelMarker(job.RunId) ? 1 : 0,
        };
        var progress = new RecordingProgress
        {
            // What WriteCancelMarkerActivity does when the run is canceled.
            OnCheckpoint = _ => store.WriteAsync(StorageLayout.CancelMarker(job.RunId), "{}"u8.ToArray()),
        };

        var result = await Handler(store, progress).HandleAsync(job, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Equal(TrainJobHandler.CanceledError, result.Error!.Type);
        Assert.Contains("after 2 of 4 steps", result.Error.Message, StringComparison.Ordinal);
        Assert.Equal(4, markerChecks); // at the start and before steps 1, 2 and 3 (polled every step here)
        Assert.Equal([2], progress.Checkpoints.Select(c => c.Step));
        Assert.Equal(["step-00002/"], (await GpuTestKit.ListAsync(store, job.CheckpointsFolder)).Select(n => n[..11]).Distinct());
    }

    private static async Task AssertSameWeightsAsync(IBlobStorage expectedStore, IBlobStorage actualStore, BlobRef blob)
    {
        var folder = Path.Combine(GpuTestKit.Scratch, "compare-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var expectedPath = Path.Combine(folder, "expected.safetensors");
            var actualPath = Path.Combine(folder, "actual.safetensors");
            await File.WriteAllBytesAsync(expectedPath, (await expectedStore.ReadAsync(blob)).Content.ToArray());
            await File.WriteAllBytesAsync(actualPath, (await actualStore.ReadAsync(blob)).Content.ToArray());
            using var expected = SafeTensorsFile.Open(expectedPath);
            using var actual = SafeTensorsFile.Open(actualPath);
            Assert.Equal(expected.Tensors.Keys.Order(), actual.Tensors.Keys.Order());
            var worst = 0.0;
            foreach (var name in expected.Tensors.Keys)
            {
                using var a = expected.Read(name);
                using var b = actual.Read(name);
                using var diff = (a - b).abs().max();
                worst = Math.Max(worst, diff.item<float>());
            }

            Assert.True(worst <= 1e-6, $"max |Δ| of the resumed weights: {worst}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _temp.DisposeAsync();
        await _other.DisposeAsync();
    }
}
