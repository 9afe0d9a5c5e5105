using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;
using Rpo.Diffusion.Imaging;
using Rpo.Pipeline.Gpu;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;
using Rpo.Pipeline.Tests.Subjects;
using static Rpo.Pipeline.Tests.Subjects.SubjectUploads;

namespace Rpo.Pipeline.Tests.Gpu;

/// <summary>The whole run orchestration with the real GPU handlers, in the in-process Durable Task host, on the tiny model.</summary>
public sealed class GpuRunOrchestrationTests : IAsyncDisposable
{
    private const string Subject = "rex";
    private static readonly string[] Templates = ["a {0} {1} in the snow", "a {0} {1} on the beach"];

    private const string SubjectJson = """
        { "classNoun": "dog", "options": { "steps": 2, "valEvery": 1, "negatives": 1, "valImages": 1, "sampleSteps": 2,
          "learningRate": 0.001, "baseModel": "tiny", "encoder": "clip", "seed": 3 } }
        """;

    private readonly TempLocalStore _temp = new();

    [Fact]
    public async Task Runs_end_to_end_with_the_real_handlers_and_publishes_a_version_with_rpo_json_and_a_grid()
    {
        var store = _temp.Store;
        await PutAsync(store, Subject, ("a.png", Png(256, 256, 1)), ("b.png", Png(256, 256, 2)), ("subject.json", Json(SubjectJson)));
        DurableTaskClient? client = null;
        var raiser = new Lazy<JobResultEventRaiser>(() => new JobResultEventRaiser(client ?? throw new InvalidOperationException("The client is not up yet.")));
        var handlers = GpuJobHandlers.Create(store, GpuTestKit.Models, new LazySink(raiser), GpuTestKit.Scratch);
        await using var host = await DurableTaskTestHost.StartAsync(
            registry => registry.AddRpoRun(),
            new DurableTaskTestHostOptions
            {
                ConfigureServices = services =>
                {
                    services.AddLogging();
                    services.AddSingleton<IBlobStorage>(store);
                    services.AddSingleton<IJobDispatcher>(_ => new InProcessJobDispatcher(handlers, raiser.Value, maxConcurrency: 2));
                },
            });
        client = host.Client;

        var options = JsonSerializer.Deserialize<RunOptions>(JsonDocument.Parse(SubjectJson).RootElement.GetProperty("options"), RunJson.Options)!;
        var runId = RunId.For(Subject, await RunInputs.ReadAsync(store, Subject), options);
        await client.ScheduleNewOrchestrationInstanceAsync(
            nameof(RpoRunOrchestrator),
            new RunRequest(Subject, runId, null, Templates, TrainingTimeoutSeconds: 600, JobTimeoutSeconds: 300),
            new StartOrchestrationOptions(runId.Value));
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var metadata = await client.WaitForInstanceCompletionAsync(runId.Value, getInputsAndOutputs: true, patience.Token);

        Assert.True(metadata.RuntimeStatus == OrchestrationRuntimeStatus.Completed, metadata.FailureDetails?.ToString());
        var outcome = metadata.ReadOutputAs<RunOutcome>()!;
        Assert.Equal(RunResultKind.Succeeded, outcome.Result);
        Assert.Equal([1, 2], outcome.Checkpoints.Select(c => c.Step));
        Assert.All(outcome.Checkpoints, c => Assert.InRange(c.Reward, 0, 1));
        Assert.True(outcome.GpuSeconds > 0);

        var publisher = new ModelPublisher(store);
        var pointer = (await publisher.ReadLatestAsync(Subject))!;
        Assert.Equal(outcome.Version, pointer.Version);
        Assert.Equal(["grid.png", "rpo.json", "unet/config.json", "unet/diffusion_pytorch_model.safetensors"], pointer.Files);
        var manifest = await publisher.ReadManifestAsync(Subject, pointer.Version);
        Assert.Equal(outcome.BestStep, manifest.SelectedStep);
        Assert.Equal(GpuModels.Tiny, manifest.Options.BaseModel);
        var grid = ImageFile.DecodeRgb((await store.ReadAsync(StorageLayout.ModelGrid(Subject, pointer.Version))).Content.ToArray());
        Assert.True(grid.Width >= 64 && grid.Height >= 64, $"grid {grid.Width}x{grid.Height}");

        // Negatives came from the base model with the run's sampling options; the labels are kept for audit.
        Assert.True(await store.ExistsAsync(StorageLayout.NegativesFolder(runId).Combine("01/00/000.png")));
        Assert.True(await store.ExistsAsync(StorageLayout.WorkFile(runId, TrainJobHandler.LabelsName)));
    }

    public ValueTask DisposeAsync() => _temp.DisposeAsync();

    /// <summary>The raiser exists only once the host's client does; the handlers are built before.</summary>
    private sealed class LazySink(Lazy<JobResultEventRaiser> raiser) : ITrainingProgressSink
    {
        public Task OnLabelsDrawnAsync(LabelsDrawn report, CancellationToken cancellationToken) => raiser.Value.OnLabelsDrawnAsync(report, cancellationToken);

        public Task OnCheckpointSavedAsync(CheckpointSaved report, CancellationToken cancellationToken) => raiser.Value.OnCheckpointSavedAsync(report, cancellationToken);
    }
}
