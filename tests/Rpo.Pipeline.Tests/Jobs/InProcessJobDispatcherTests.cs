using System.Collections.Concurrent;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Tests.Jobs;

public sealed class InProcessJobDispatcherTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Each_job_runs_on_its_kinds_handler_and_its_result_reaches_the_sink()
    {
        var sink = new CollectingSink();
        var scorer = new ScoreHandler();
        await using var dispatcher = new InProcessJobDispatcher([scorer, new GenerateHandler()], sink);

        await dispatcher.DispatchAsync(SampleJobs.Score(index: 1, step: 40));
        await dispatcher.DispatchAsync(SampleJobs.Generate());
        await dispatcher.CompleteAsync();

        var results = sink.Results.ToDictionary(r => r.JobId);
        Assert.Equal(2, results.Count);
        var score = results["dog-0123456789abcdef:score-checkpoint:1"];
        Assert.True(score.Succeeded);
        Assert.Equal(40, score.Metrics["step"]);
        Assert.Equal(StorageLayout.CheckpointScore(SampleJobs.Run, 40), Assert.Single(score.Outputs));
        Assert.True(results["dog-0123456789abcdef:generate:0"].Succeeded);
    }

    [Fact]
    public async Task A_job_dispatched_twice_runs_once()
    {
        var sink = new CollectingSink();
        var scorer = new ScoreHandler();
        await using var dispatcher = new InProcessJobDispatcher([scorer], sink);

        await dispatcher.DispatchAsync(SampleJobs.Score(index: 1));
        await dispatcher.DispatchAsync(SampleJobs.Score(index: 1));
        await dispatcher.DispatchAsync(SampleJobs.Score(index: 2));
        await dispatcher.CompleteAsync();

        Assert.Equal(2, scorer.Calls);
        Assert.Equal(2, sink.Results.Count);
    }

    [Fact]
    public async Task A_handler_that_throws_is_reported_as_a_failed_job()
    {
        var sink = new CollectingSink();
        await using var dispatcher = new InProcessJobDispatcher([new ThrowingHandler()], sink);

        await dispatcher.DispatchAsync(SampleJobs.Train());
        await dispatcher.CompleteAsync();

        var result = Assert.Single(sink.Results);
        Assert.Equal(JobStatus.Failed, result.Status);
        Assert.Equal(new JobError(nameof(InvalidDataException), "image 2.jpg is not a PNG or JPEG"), result.Error);
        Assert.Equal(SampleJobs.Train().JobId, result.JobId);
    }

    [Fact]
    public async Task An_inconsistent_result_is_reported_as_a_failed_job()
    {
        var sink = new CollectingSink();
        await using var dispatcher = new InProcessJobDispatcher([new InconsistentHandler()], sink);

        await dispatcher.DispatchAsync(SampleJobs.Generate());
        await dispatcher.CompleteAsync();

        var result = Assert.Single(sink.Results);
        Assert.Equal("InvalidJobResult", result.Error!.Type);
        Assert.Contains("error", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_without_a_handler_is_refused_at_dispatch()
    {
        await using var dispatcher = new InProcessJobDispatcher([new GenerateHandler()], new CollectingSink());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => dispatcher.DispatchAsync(SampleJobs.Train()));

        Assert.Contains("No handler for train jobs", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_sink_stops_the_dispatcher_with_its_error()
    {
        await using var dispatcher = new InProcessJobDispatcher([new GenerateHandler()], new FailingSink());

        await dispatcher.DispatchAsync(SampleJobs.Generate());
        await dispatcher.CompleteAsync();

        Assert.IsType<TimeoutException>(dispatcher.Fault);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => dispatcher.DispatchAsync(SampleJobs.Generate(index: 1)));
        Assert.IsType<TimeoutException>(error.InnerException);
    }

    [Fact]
    public async Task Disposing_cancels_a_running_job_without_reporting_it()
    {
        var sink = new CollectingSink();
        var blocking = new BlockingHandler();
        var dispatcher = new InProcessJobDispatcher([blocking], sink);

        await dispatcher.DispatchAsync(SampleJobs.Generate());
        await blocking.Started.Task.WaitAsync(Patience);
        await dispatcher.DisposeAsync().AsTask().WaitAsync(Patience);

        Assert.True(blocking.SawCancellation);
        Assert.Empty(sink.Results);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => dispatcher.DispatchAsync(SampleJobs.Generate(index: 1)));
    }

    [Fact]
    public async Task Jobs_run_one_at_a_time_unless_asked_otherwise()
    {
        var sink = new CollectingSink();
        var handler = new ConcurrencyProbe();
        await using (var single = new InProcessJobDispatcher([handler], sink))
        {
            for (var i = 0; i < 4; i++)
            {
                await single.DispatchAsync(SampleJobs.Generate(index: i));
            }

            await single.CompleteAsync();
        }

        Assert.Equal(1, handler.MaxConcurrent);
        Assert.Equal(4, sink.Results.Count);
    }

    private sealed class CollectingSink : IJobResultSink
    {
        public ConcurrentQueue<JobResult> ResultsQueue { get; } = new();

        public IReadOnlyList<JobResult> Results => [.. ResultsQueue];

        public Task OnJobCompletedAsync(JobResult result, CancellationToken cancellationToken)
        {
            ResultsQueue.Enqueue(result);
            return Task.CompletedTask;
        }
    }

    private sealed class FailingSink : IJobResultSink
    {
        public Task OnJobCompletedAsync(JobResult result, CancellationToken cancellationToken) => throw new TimeoutException("orchestration host gone");
    }

    private sealed class ScoreHandler : JobHandler<ScoreCheckpointJob>
    {
        private int _calls;

        public int Calls => _calls;

        public override JobKind Kind => JobKind.ScoreCheckpoint;

        protected override async Task<JobResult> HandleAsync(ScoreCheckpointJob job, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            await Task.Yield();
            return JobResult.Success(job, [job.Output], new Dictionary<string, double> { ["step"] = job.Step }, 0.5);
        }
    }

    private sealed class GenerateHandler : JobHandler<GenerateJob>
    {
        public override JobKind Kind => JobKind.Generate;

        protected override Task<JobResult> HandleAsync(GenerateJob job, CancellationToken cancellationToken) =>
            Task.FromResult(JobResult.Success(job, [job.OutputFolder.Combine("00/000.png")]));
    }

    private sealed class ThrowingHandler : JobHandler<TrainJob>
    {
        public override JobKind Kind => JobKind.Train;

        protected override Task<JobResult> HandleAsync(TrainJob job, CancellationToken cancellationToken) =>
            throw new InvalidDataException("image 2.jpg is not a PNG or JPEG");
    }

    private sealed class InconsistentHandler : JobHandler<GenerateJob>
    {
        public override JobKind Kind => JobKind.Generate;

        protected override Task<JobResult> HandleAsync(GenerateJob job, CancellationToken cancellationToken) =>
            Task.FromResult(JobResult.Success(job, []) with { Status = JobStatus.Failed });
    }

    private sealed class BlockingHandler : JobHandler<GenerateJob>
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool SawCancellation { get; private set; }

        public override JobKind Kind => JobKind.Generate;

        protected override async Task<JobResult> HandleAsync(GenerateJob job, CancellationToken cancellationToken)
        {
            Started.SetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                SawCancellation = true;
                throw;
            }

            return JobResult.Success(job, []);
        }
    }

    private sealed class ConcurrencyProbe : JobHandler<GenerateJob>
    {
        private int _running;
        private int _max;

        public int MaxConcurrent => _max;

        public override JobKind Kind => JobKind.Generate;

        protected override async Task<JobResult> HandleAsync(GenerateJob job, CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref _running);
            InterlockedMax(ref _max, now);
            await Task.Delay(20, cancellationToken);
            Interlocked.Decrement(ref _running);
            return JobResult.Success(job, []);
        }

        private static void InterlockedMax(ref int target, int value)
        {
            int seen;
            while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
            {
            }
        }
    }
}
