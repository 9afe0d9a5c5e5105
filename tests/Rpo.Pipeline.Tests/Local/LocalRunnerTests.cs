using Microsoft.DurableTask.Client;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Local;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;
using Rpo.Pipeline.Tests.Orchestration;
using Rpo.Pipeline.Tests.Subjects;
using static Rpo.Pipeline.Tests.Subjects.SubjectUploads;

namespace Rpo.Pipeline.Tests.Local;

/// <summary>
/// The local runner (in-process Durable Task host, in-process dispatcher, status mirror, cancel marker) on a local
/// store, with the scripted GPU jobs standing in for the models: what a second rpo run, rpo cancel or a killed process
/// do to a run. The real handlers run in <see cref="LocalRunEndToEndTests"/>.
/// </summary>
public sealed class LocalRunnerTests : IAsyncDisposable
{
    private const string Subject = "rex";
    private const string SubjectJson = """{ "classNoun": "dog", "options": { "steps": 40, "valEvery": 10, "negatives": 2, "valImages": 2 } }""";
    private static readonly Dictionary<int, double> Rewards = new() { [10] = 0.52, [20] = 0.71, [30] = 0.71, [40] = 0.64 };
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    /// <summary>Quick polls and a short staleness, so tests do not wait on a dead process's heartbeat.</summary>
    private static readonly LocalRunnerOptions Fast = new()
    {
        PollInterval = TimeSpan.FromMilliseconds(50),
        HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        StaleAfter = TimeSpan.FromSeconds(2),
    };

    private readonly TempLocalStore _temp = new();

    private IBlobStorage Store => _temp.Store;

    public ValueTask DisposeAsync() => _temp.DisposeAsync();

    private Task UploadAsync(int secondImageSeed = 2) =>
        PutAsync(Store, Subject, ("a.png", Png(256, 256, 1)), ("b.png", Png(300, 256, secondImageSeed)), ("subject.json", Json(SubjectJson)));

    private async Task<(LocalRunner Runner, ScriptedGpuJobs Jobs)> StartRunnerAsync(bool trainingHangs = false)
    {
        ScriptedGpuJobs? jobs = null;
        var runner = await LocalRunner.StartAsync(Store, sink => (jobs = new ScriptedGpuJobs(Store, () => sink, Rewards) { TrainingHangs = trainingHangs }).Handlers, Fast);
        return (runner, jobs!);
    }

    private static async Task<T> Within<T>(Task<T> task)
    {
        using var timeout = new CancellationTokenSource(Patience);
        return await task.WaitAsync(timeout.Token);
    }

    private async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (!await condition())
        {
            await Task.Delay(50, timeout.Token);
        }
    }

    private static string OutcomeJson(RunOutcome? outcome) => System.Text.Json.JsonSerializer.Serialize(outcome, RunJson.Options);

    private async Task<List<string>> ModelsAsync()
    {
        var names = new List<string>();
        await foreach (var item in Store.ListAsync(StorageArea.Models, string.Empty))
        {
            names.Add(item.Blob.Path);
        }

        return names;
    }

    [Fact]
    public async Task Runs_and_mirrors_the_run_then_the_same_uploads_report_it_and_a_changed_photo_is_a_new_run()
    {
        await UploadAsync();
        var (runner, jobs) = await StartRunnerAsync();
        var seen = new List<RunStatusDocument>();
        LocalRunResult first;
        await using (runner)
        {
            first = await Within(runner.RunAsync(Subject, progress: seen.Add));
        }

        Assert.Equal(LocalRunMode.Started, first.Mode);
        Assert.True(first.Final.Succeeded, first.Final.Failure);
        Assert.Equal(20, first.Final.Outcome!.BestStep);

        // The mirror: what rpo status in another process reads, stage by stage, ending where the orchestration ended.
        var mirrored = (await RunStatusDocument.ReadAsync(Store, first.RunId))!.Value.Document;
        Assert.Equal(OrchestrationRuntimeStatus.Completed, mirrored.RuntimeStatus);
        Assert.Equal(OutcomeJson(first.Final.Outcome), OutcomeJson(mirrored.Outcome));
        Assert.Equal(RunStage.Completed, mirrored.Status!.Stage);
        Assert.Contains(seen, s => s.RuntimeStatus == OrchestrationRuntimeStatus.Running && s.Status?.Stage == RunStage.Training);

        // Checkpoint scoring overlapped training (two jobs at a time): the first score began before the train job ended.
        var train = jobs.Times[JobKinds.JobId(first.RunId.Value, JobKind.Train, 0)];
        var firstScore = jobs.Times[JobKinds.JobId(first.RunId.Value, JobKind.ScoreCheckpoint, 0)];
        Assert.True(firstScore.Start > train.Start && firstScore.Start < train.End, $"score {firstScore.Start:O}, train {train.Start:O}..{train.End:O}");

        // Same uploads, another process: one run — reported, nothing dispatched.
        var (again, againJobs) = await StartRunnerAsync();
        await using (again)
        {
            var second = await Within(again.RunAsync(Subject));
            Assert.Equal(LocalRunMode.AlreadyFinished, second.Mode);
            Assert.Equal(first.RunId, second.RunId);
            Assert.Equal(OutcomeJson(first.Final.Outcome), OutcomeJson(second.Final.Outcome));
            Assert.Empty(againJobs.Starts);

            // One photo changed: a new run id, run, and published as the new latest version.
            await UploadAsync(secondImageSeed: 3);
            var third = await Within(again.RunAsync(Subject));
            Assert.NotEqual(first.RunId, third.RunId);
            Assert.Equal(LocalRunMode.Started, third.Mode);
            Assert.True(third.Final.Succeeded, third.Final.Failure);
            var latest = await new ModelPublisher(Store).ReadLatestAsync(Subject);
            Assert.Equal(StorageLayout.VersionFor(third.RunId), latest!.Version);
            Assert.Equal(StorageLayout.VersionFor(first.RunId), latest.PreviousVersion);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_cancel_mid_training_by_marker_or_ctrl_c_ends_the_run_canceled_with_nothing_published(bool ctrlC)
    {
        await UploadAsync();
        var (runner, jobs) = await StartRunnerAsync(trainingHangs: true);
        await using (runner)
        {
            using var cancelRun = new CancellationTokenSource();
            var run = runner.RunAsync(Subject, cancelRun: cancelRun.Token);
            var runId = (await new RunStarter(runner.Client, Store).PrepareAsync(Subject)).RunId;
            await WaitUntilAsync(() => Task.FromResult(jobs.Starts.ContainsKey(JobKinds.JobId(runId.Value, JobKind.Train, 0))));

            // What rpo cancel does from any process, or Ctrl+C in the rpo run that runs it.
            if (ctrlC)
            {
                await cancelRun.CancelAsync();
            }
            else
            {
                await LocalRunner.CancelAsync(Store, runId, "changed my mind");
            }

            var result = await Within(run);

            Assert.True(result.Final.Canceled, result.Final.StateName);
            Assert.Contains(ctrlC ? "Ctrl+C in rpo run" : "changed my mind", result.Final.Outcome!.Message, StringComparison.Ordinal);
            Assert.Equal(RunStage.Canceled, result.Final.Status!.Stage);
            Assert.Empty(await ModelsAsync());
            Assert.True((await RunStatusDocument.ReadAsync(Store, runId))!.Value.Document.Canceled);
        }
    }

    [Fact]
    public async Task A_second_runner_follows_a_live_run_and_its_ctrl_c_cancels_the_run_through_the_marker()
    {
        await UploadAsync();
        var (owner, ownerJobs) = await StartRunnerAsync(trainingHangs: true);
        var (follower, followerJobs) = await StartRunnerAsync();
        await using (owner)
        await using (follower)
        {
            var owned = owner.RunAsync(Subject);
            var runId = (await new RunStarter(owner.Client, Store).PrepareAsync(Subject)).RunId;
            await WaitUntilAsync(() => Task.FromResult(ownerJobs.Starts.ContainsKey(JobKinds.JobId(runId.Value, JobKind.Train, 0))));

            using var ctrlC = new CancellationTokenSource();
            var seen = new List<RunStatusDocument>();
            var followed = follower.RunAsync(Subject, progress: seen.Add, cancelRun: ctrlC.Token);
            await WaitUntilAsync(() => Task.FromResult(seen.Count > 0));
            await ctrlC.CancelAsync();

            var followerResult = await Within(followed);
            var ownerResult = await Within(owned);
            Assert.Equal(LocalRunMode.Followed, followerResult.Mode);
            Assert.Equal(LocalRunMode.Started, ownerResult.Mode);
            Assert.True(ownerResult.Final.Canceled);
            Assert.True(followerResult.Final.Canceled);
            Assert.Empty(followerJobs.Starts);
            Assert.Empty(await ModelsAsync());
        }
    }

    [Fact]
    public async Task A_run_whose_process_died_is_run_again_and_a_canceled_one_too()
    {
        await UploadAsync();
        var (killed, killedJobs) = await StartRunnerAsync(trainingHangs: true);
        var run = killed.RunAsync(Subject);
        var runId = (await new RunStarter(killed.Client, Store).PrepareAsync(Subject)).RunId;
        await WaitUntilAsync(() => Task.FromResult(killedJobs.Starts.ContainsKey(JobKinds.JobId(runId.Value, JobKind.Train, 0))));

        // Killed: the status file still says running, written by a runner that is gone.
        await killed.DisposeAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        var orphan = (await RunStatusDocument.ReadAsync(Store, runId))!.Value.Document;
        Assert.False(orphan.IsFinished);
        Assert.False(LocalRunner.IsAlive(orphan, Fast));

        var (again, _) = await StartRunnerAsync();
        await using (again)
        {
            var resumed = await Within(again.RunAsync(Subject));
            Assert.Equal(LocalRunMode.Resumed, resumed.Mode);
            Assert.Equal(runId, resumed.RunId);
            Assert.True(resumed.Final.Succeeded, resumed.Final.Failure);
        }
    }

    [Fact]
    public async Task Starting_twice_on_one_host_joins_the_first_instance()
    {
        await UploadAsync();
        var (runner, _) = await StartRunnerAsync(trainingHangs: true);
        await using (runner)
        {
            var starter = new RunStarter(runner.Client, Store);
            var first = await starter.StartOrJoinAsync(Subject);
            var second = await starter.StartOrJoinAsync(Subject, "dog");

            Assert.True(first.Started);
            Assert.Null(first.Existing);
            Assert.False(second.Started);
            Assert.Equal(first.RunId, second.RunId);
            Assert.Equal(first.RunId.Value, second.Existing!.InstanceId);
        }
    }
}
