using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;
using Rpo.Pipeline.Tests.Subjects;
using static Rpo.Pipeline.Tests.Subjects.SubjectUploads;

namespace Rpo.Pipeline.Tests.Orchestration;

/// <summary>The run orchestration in the in-process Durable Task host (real gRPC sidecar, real replays), on a local store.</summary>
public sealed class RpoRunOrchestratorTests
{
    private const string Subject = "rex";
    private static readonly string[] Templates = ["a {0} {1} in the jungle", "a {0} {1} in the snow", "a {0} {1} on the beach"];
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private static readonly Dictionary<int, double> Rewards = new() { [10] = 0.52, [20] = 0.71, [30] = 0.71, [40] = 0.64 };

    private const string SubjectJson = """{ "classNoun": "dog", "options": { "steps": 40, "valEvery": 10, "negatives": 2, "valImages": 3 } }""";

    private sealed class Harness : IAsyncDisposable
    {
        private readonly TempLocalStore _temp = new();
        private DurableTaskTestHost? _host;

        public IBlobStorage Store => _temp.Store;

        public ScriptedGpuJobs? Jobs { get; private set; }

        public RecordingAnnouncer Announcer { get; } = new();

        public DurableTaskClient Client => _host!.Client;

        public async Task StartAsync(bool trainingHangs = false)
        {
            DurableTaskClient? client = null;
            var raiser = new Lazy<JobResultEventRaiser>(() => new JobResultEventRaiser(client ?? throw new InvalidOperationException("The client is not up yet.")));
            Jobs = new ScriptedGpuJobs(Store, () => raiser.Value, Rewards) { TrainingHangs = trainingHangs };
            var handlers = Jobs.Handlers;
            _host = await DurableTaskTestHost.StartAsync(
                registry => registry.AddRpoRun(),
                new DurableTaskTestHostOptions
                {
                    ConfigureServices = services =>
                    {
                        services.AddLogging();
                        services.AddSingleton(Store);
                        services.AddSingleton<IModelAnnouncer>(Announcer);

                        // Two at a time, so a checkpoint can be scored while the train job runs (a GPU for each, as in Azure).
                        services.AddSingleton<IJobDispatcher>(_ => new InProcessJobDispatcher(handlers, raiser.Value, maxConcurrency: 2));
                    },
                });
            client = _host.Client;
        }

        public async Task<(RunId RunId, OrchestrationMetadata Metadata)> RunAsync(RunRequest? request = null, Func<RunId, Task>? whileRunning = null)
        {
            var options = JsonSerializer.Deserialize<RunOptions>(JsonDocument.Parse(SubjectJson).RootElement.GetProperty("options"), RunJson.Options)!;
            var runId = RunId.For(Subject, await RunInputs.ReadAsync(Store, Subject), options);
            request ??= new RunRequest(Subject, runId, null, Templates, TrainingTimeoutSeconds: 120, JobTimeoutSeconds: 60);
            request = request with { RunId = runId };
            await Client.ScheduleNewOrchestrationInstanceAsync(nameof(RpoRunOrchestrator), request, new StartOrchestrationOptions(runId.Value));
            using var cts = new CancellationTokenSource(Patience);
            if (whileRunning is not null)
            {
                await whileRunning(runId);
            }

            var metadata = await Client.WaitForInstanceCompletionAsync(runId.Value, getInputsAndOutputs: true, cts.Token);
            return (runId, metadata);
        }

        public async Task<List<string>> ListAsync(StorageArea area)
        {
            var names = new List<string>();
            await foreach (var item in Store.ListAsync(area, string.Empty))
            {
                names.Add(item.Blob.Path);
            }

            return names;
        }

        public async ValueTask DisposeAsync()
        {
            if (_host is not null)
            {
                await _host.DisposeAsync();
            }

            await _temp.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_refused_subject_ends_failed_naming_every_file_and_publishes_nothing()
    {
        await using var harness = new Harness();
        await PutAsync(
            harness.Store,
            Subject,
            ("a.png", Png(256, 256, 1)),
            ("b.png", Png(256, 100, 2)),
            ("c.jpg", TruncatedJpeg()),
            ("d.jpg", Json("hello")),
            ("subject.json", Json("""{ "classNoun": "dog", "options": { "stepz": 3 } }""")));
        await harness.StartAsync();

        var (_, metadata) = await harness.RunAsync();

        Assert.Equal(OrchestrationRuntimeStatus.Failed, metadata.RuntimeStatus);
        var message = metadata.FailureDetails!.ErrorMessage;
        Assert.Contains("b.png: 256x100", message, StringComparison.Ordinal);
        Assert.Contains("c.jpg: not a readable image", message, StringComparison.Ordinal);
        Assert.Contains("d.jpg: not a readable image", message, StringComparison.Ordinal);
        Assert.Contains("subject.json: unknown option 'stepz'", message, StringComparison.Ordinal);
        var status = metadata.ReadCustomStatusAs<RunStatus>()!;
        Assert.Equal(RunStage.Failed, status.Stage);
        Assert.Equal(["b.png", "c.jpg", "d.jpg", "subject.json"], status.Problems.Select(p => p.File));
        Assert.Empty(await harness.ListAsync(StorageArea.Models));
        Assert.Empty(harness.Announcer.Announced);
        Assert.Empty(await harness.ListAsync(StorageArea.Work));
        Assert.Empty(harness.Jobs!.Starts);
    }

    [Fact]
    public async Task A_train_job_that_never_reports_ends_the_run_failed_with_a_timeout_message()
    {
        await using var harness = new Harness();
        await PutAsync(harness.Store, Subject, ("a.png", Png(256, 256, 1)), ("b.png", Png(256, 256, 2)), ("subject.json", Json(SubjectJson)));
        await harness.StartAsync(trainingHangs: true);

        var (runId, metadata) = await harness.RunAsync(new RunRequest(Subject, RunId.Parse("rex-0000000000000000"), null, Templates, TrainingTimeoutSeconds: 3, JobTimeoutSeconds: 60));

        Assert.Equal(OrchestrationRuntimeStatus.Failed, metadata.RuntimeStatus);
        Assert.Contains("Training timed out: the train job sent no result within 00:00:03", metadata.FailureDetails!.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains(JobKinds.JobId(runId.Value, JobKind.Train, 0), harness.Jobs!.Starts.Keys);
        var status = metadata.ReadCustomStatusAs<RunStatus>()!;
        Assert.Equal([RunStage.Validating, RunStage.GeneratingNegatives, RunStage.ScoringNegatives, RunStage.Failed], status.Stages);
        Assert.Empty(await harness.ListAsync(StorageArea.Models));
        Assert.Empty(harness.Announcer.Announced);
    }

    [Fact]
    public async Task Runs_end_to_end_with_scripted_gpu_jobs()
    {
        await using var harness = new Harness();
        await PutAsync(harness.Store, Subject, ("a.png", Png(256, 256, 1)), ("b.png", Png(300, 256, 2)), (".DS_Store", Json("x")), ("subject.json", Json(SubjectJson)));
        await harness.StartAsync();

        var (runId, metadata) = await harness.RunAsync();

        Assert.True(metadata.RuntimeStatus == OrchestrationRuntimeStatus.Completed, metadata.FailureDetails?.ToString());
        var outcome = metadata.ReadOutputAs<RunOutcome>()!;
        var status = metadata.ReadCustomStatusAs<RunStatus>()!;

        // Negatives: one generate job per training prompt.
        var times = harness.Jobs!.Times;
        Assert.Equal(Templates.Length, times.Keys.Count(k => k.Contains(":generate:", StringComparison.Ordinal)));

        // Checkpoint scoring overlapped training: the first score job started before the train job ended.
        var train = times[JobKinds.JobId(runId.Value, JobKind.Train, 0)];
        var firstScore = times[JobKinds.JobId(runId.Value, JobKind.ScoreCheckpoint, 0)];
        Assert.True(firstScore.Start < train.End, $"score of step 10 started {firstScore.Start:O}, training ended {train.End:O}");
        Assert.True(firstScore.Start > train.Start);

        // Best: 0.71 at steps 20 and 30 -> the earlier.
        Assert.Equal(RunResultKind.Succeeded, outcome.Result);
        Assert.Equal(20, outcome.BestStep);
        Assert.Equal(0.71, outcome.BestReward);
        Assert.Equal([10, 20, 30, 40], outcome.Checkpoints.Select(c => c.Step));

        // Published: the checkpoint as unet/, the grid, rpo.json, and latest.json pointing at the run's version.
        var version = StorageLayout.VersionFor(runId);
        Assert.Equal(version, outcome.Version);
        var pointer = await new ModelPublisher(harness.Store).ReadLatestAsync(Subject);
        Assert.Equal(version, pointer!.Version);
        Assert.Equal(["grid.png", "rpo.json", "unet/config.json", "unet/diffusion_pytorch_model.safetensors"], pointer.Files);
        var weights = await harness.Store.ReadAsync(StorageLayout.ModelFile(Subject, version, "unet/diffusion_pytorch_model.safetensors"));
        Assert.Equal("weights after 20 steps", System.Text.Encoding.UTF8.GetString(weights.Content.Span));
        var manifest = await new ModelPublisher(harness.Store).ReadManifestAsync(Subject, version);
        Assert.Equal(20, manifest.SelectedStep);
        Assert.Equal(4, manifest.Checkpoints.Count);
        var announced = Assert.Single(harness.Announcer.Announced);
        Assert.Equal((Subject, version, runId, 20, 0.71), (announced.SubjectId, announced.Version, announced.RunId, announced.SelectedStep, announced.Reward));

        // Status: every stage in order, the counters at their ends.
        Assert.Equal(
            [RunStage.Validating, RunStage.GeneratingNegatives, RunStage.ScoringNegatives, RunStage.Training, RunStage.ScoringCheckpoints, RunStage.Selecting, RunStage.Publishing, RunStage.Completed],
            status.Stages);
        Assert.Equal(40, status.Step);
        Assert.Equal(40, status.TotalSteps);
        Assert.Equal(4, status.CheckpointsScored);
        Assert.Equal(4, status.CheckpointsTotal);
        Assert.Equal(Templates.Length, status.NegativesGenerated);
        Assert.Equal(0.71, status.BestReward);
        Assert.Equal(20, status.BestStep);
        Assert.Equal(1.0 / 40, status.Loss);

        // GPU time: 3 generate jobs x 2 s + training 43 s (labels 3 + 4 x 10) + 4 score jobs x 1 s.
        Assert.Equal(53, status.GpuSeconds, 6);
        Assert.Equal(53, outcome.GpuSeconds, 6);
    }

    [Fact]
    public async Task A_cancel_event_during_training_ends_the_run_canceled_and_publishes_nothing()
    {
        await using var harness = new Harness();
        await PutAsync(harness.Store, Subject, ("a.png", Png(256, 256, 1)), ("b.png", Png(256, 256, 2)), ("subject.json", Json(SubjectJson)));
        await harness.StartAsync(trainingHangs: true);

        var (runId, metadata) = await harness.RunAsync(whileRunning: async runId =>
        {
            // Waits (bounded) until the train job runs, then cancels: the run is then waiting for its reports.
            var trainJob = JobKinds.JobId(runId.Value, JobKind.Train, 0);
            using var wait = new CancellationTokenSource(Patience);
            while (!harness.Jobs!.Starts.ContainsKey(trainJob))
            {
                await Task.Delay(50, wait.Token);
            }

            await harness.Client.RaiseEventAsync(runId.Value, RunEvents.Cancel, "changed my mind");
        });

        Assert.Equal(OrchestrationRuntimeStatus.Completed, metadata.RuntimeStatus);
        var outcome = metadata.ReadOutputAs<RunOutcome>()!;
        Assert.Equal(RunResultKind.Canceled, outcome.Result);
        Assert.Contains("changed my mind", outcome.Message, StringComparison.Ordinal);
        Assert.Null(outcome.Published);
        Assert.Equal(RunStage.Canceled, metadata.ReadCustomStatusAs<RunStatus>()!.Stage);
        Assert.Empty(await harness.ListAsync(StorageArea.Models));
        Assert.Empty(harness.Announcer.Announced);

        // The marker a running train job polls, with the reason.
        var marker = await harness.Store.ReadAsync(StorageLayout.CancelMarker(runId));
        Assert.Equal("changed my mind", JsonSerializer.Deserialize<CancelMarker>(marker.Content.Span, RunJson.Options)!.Reason);
    }
}
