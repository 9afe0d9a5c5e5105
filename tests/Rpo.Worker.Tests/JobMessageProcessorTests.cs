using System.Text.Json.Nodes;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Storage;

namespace Rpo.Worker.Tests;

/// <summary>
/// The worker's decisions for one message, with real job parsing, real result blobs (a local folder) and messages
/// built by the Service Bus SDK's model factory; only the settlement calls and the result sink are recorded.
/// </summary>
public sealed class JobMessageProcessorTests : IDisposable
{
    private readonly TempStorage _temp = new();
    private readonly EventLog _log = new();
    private readonly GpuJobGate _gate = new();
    private readonly RecordingSink _sink;

    public JobMessageProcessorTests() => _sink = new RecordingSink(_log);

    public void Dispose()
    {
        _gate.Dispose();
        _temp.Dispose();
    }

    private JobMessageProcessor Processor(params IJobHandler[] handlers) => new(handlers, _sink, _temp.Storage, _gate, maxDeliveryCount: 3);

    [Fact]
    public async Task Parse_failure_is_dead_lettered_with_a_reason_naming_the_field()
    {
        var handler = new TestHandler(JobKind.Generate, (job, _) => Task.FromResult(TestHandler.Done(job)));
        var job = SampleJobs.Generate();
        var body = JsonNode.Parse(JobMessages.Serialize(job).ToString())!.AsObject();
        body["imagesPerPrompt"] = 0;
        var message = SampleJobs.Received(BinaryData.FromString(body.ToJsonString()), job.JobId, job.RunId.Value, "generate");
        var actions = new RecordingActions(_log);

        var outcome = await Processor(handler).ProcessAsync(message, actions, CancellationToken.None);

        Assert.Equal(JobMessageOutcome.DeadLettered, outcome);
        Assert.Equal(["dead-letter"], actions.Actions);
        Assert.Contains("imagesPerPrompt", actions.DeadLetterReason, StringComparison.Ordinal);
        Assert.Contains("must be at least 1", actions.DeadLetterDescription, StringComparison.Ordinal);
        Assert.Equal(0, handler.Calls);
        Assert.Empty(_sink.Results);
    }

    [Fact]
    public async Task Missing_field_and_envelope_mismatch_are_dead_lettered_naming_the_field()
    {
        var handler = new TestHandler(JobKind.Generate, (job, _) => Task.FromResult(TestHandler.Done(job)));
        var job = SampleJobs.Generate();
        var body = JsonNode.Parse(JobMessages.Serialize(job).ToString())!.AsObject();
        body.Remove("outputFolder");
        var missing = new RecordingActions(_log);
        await Processor(handler).ProcessAsync(SampleJobs.Received(BinaryData.FromString(body.ToJsonString()), job.JobId, job.RunId.Value, "generate"), missing, CancellationToken.None);

        var wrongSubject = new RecordingActions(_log);
        await Processor(handler).ProcessAsync(SampleJobs.Received(JobMessages.Serialize(job), job.JobId, job.RunId.Value, "train"), wrongSubject, CancellationToken.None);

        Assert.Equal("InvalidJobMessage: outputFolder", missing.DeadLetterReason);
        Assert.Equal("InvalidJobMessage: message.subject", wrongSubject.DeadLetterReason);
        Assert.Equal(0, handler.Calls);
    }

    [Fact]
    public async Task A_job_kind_without_a_handler_here_is_dead_lettered()
    {
        var handler = new TestHandler(JobKind.Generate, (job, _) => Task.FromResult(TestHandler.Done(job)));
        var actions = new RecordingActions(_log);

        var outcome = await Processor(handler).ProcessAsync(SampleJobs.Received(SampleJobs.Train()), actions, CancellationToken.None);

        Assert.Equal(JobMessageOutcome.DeadLettered, outcome);
        Assert.Equal("NoHandler", actions.DeadLetterReason);
        Assert.Contains("train", actions.DeadLetterDescription, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handler_success_stores_the_result_sends_it_then_completes()
    {
        var job = SampleJobs.Generate(index: 4);
        var handler = new TestHandler(JobKind.Generate, (j, _) => Task.FromResult(TestHandler.Done(j)));
        var actions = new RecordingActions(_log);

        var outcome = await Processor(handler).ProcessAsync(SampleJobs.Received(job), actions, CancellationToken.None);

        Assert.Equal(JobMessageOutcome.Completed, outcome);
        Assert.Equal(1, handler.Calls);
        Assert.Equal(["complete"], actions.Actions);
        var sent = Assert.Single(_sink.Results);
        Assert.Equal(job.JobId, sent.JobId);
        Assert.True(sent.Succeeded);
        Assert.Equal(0.25, sent.Metrics["reward"]);
        Assert.Equal([$"result {job.JobId} Succeeded", "complete"], _log.Events);

        var blob = JobMessageProcessor.ResultBlob(job);
        Assert.Equal("work/dog-0123456789abcdef/jobs/generate-4.json", blob.ToString());
        var stored = JobMessages.ParseResult(BinaryData.FromBytes((await _temp.Storage.ReadAsync(blob)).Content));
        Assert.Equal(sent.JobId, stored.JobId);
        Assert.Equal(sent.Outputs, stored.Outputs);
    }

    [Fact]
    public async Task A_failed_result_from_the_handler_is_the_jobs_answer_stored_reported_and_completed()
    {
        var job = SampleJobs.Generate();
        var handler = new TestHandler(JobKind.Generate, (j, _) => Task.FromResult(JobResult.Failure(j, "NoFaces", "no face in the reference images")));
        var actions = new RecordingActions(_log);

        var outcome = await Processor(handler).ProcessAsync(SampleJobs.Received(job), actions, CancellationToken.None);

        Assert.Equal(JobMessageOutcome.Completed, outcome);
        Assert.Equal(["complete"], actions.Actions);
        Assert.Equal("NoFaces", Assert.Single(_sink.Results).Error?.Type);
        Assert.True(await _temp.Storage.ExistsAsync(JobMessageProcessor.ResultBlob(job)));
    }

    [Fact]
    public async Task Handler_throwing_is_abandoned_then_dead_lettered_with_a_failure_report_on_the_last_delivery()
    {
        var job = SampleJobs.Generate();
        var handler = new TestHandler(JobKind.Generate, (_, _) => throw new IOException("CUDA error: an illegal memory access"));
        var processor = Processor(handler);

        var outcomes = new List<JobMessageOutcome>();
        var perDelivery = new List<RecordingActions>();
        for (var delivery = 1; delivery <= processor.MaxDeliveryCount; delivery++)
        {
            var actions = new RecordingActions(_log);
            perDelivery.Add(actions);
            outcomes.Add(await processor.ProcessAsync(SampleJobs.Received(job, deliveryCount: delivery), actions, CancellationToken.None));
        }

        Assert.Equal([JobMessageOutcome.Abandoned, JobMessageOutcome.Abandoned, JobMessageOutcome.DeadLettered], outcomes);
        Assert.Equal(3, handler.Calls);
        Assert.Equal("MaxDeliveryCountReached", perDelivery[2].DeadLetterReason);
        Assert.Contains("IOException", perDelivery[2].DeadLetterDescription, StringComparison.Ordinal);
        Assert.Contains("illegal memory access", perDelivery[2].DeadLetterDescription, StringComparison.Ordinal);
        var failure = Assert.Single(_sink.Results);
        Assert.False(failure.Succeeded);
        Assert.Equal("IOException", failure.Error?.Type);
        Assert.Equal(["abandon", "abandon", $"result {job.JobId} Failed", "dead-letter"], _log.Events);
        // Not stored: a message resubmitted from the dead-letter queue runs again.
        Assert.False(await _temp.Storage.ExistsAsync(JobMessageProcessor.ResultBlob(job)));
    }

    [Fact]
    public async Task A_non_transient_handler_error_is_dead_lettered_on_the_first_delivery()
    {
        var job = SampleJobs.Generate();
        var handler = new TestHandler(JobKind.Generate, (_, _) => throw new InvalidDataException("1.jpg is not an image"));
        var actions = new RecordingActions(_log);

        var outcome = await Processor(handler).ProcessAsync(SampleJobs.Received(job, deliveryCount: 1), actions, CancellationToken.None);

        Assert.Equal(JobMessageOutcome.DeadLettered, outcome);
        Assert.Equal("JobFailed", actions.DeadLetterReason);
        Assert.Equal("InvalidDataException", Assert.Single(_sink.Results).Error?.Type);
    }

    [Fact]
    public async Task Redelivery_of_a_job_with_a_stored_result_completes_without_running_it_and_resends_the_result()
    {
        var job = SampleJobs.Train(index: 2);
        var handler = new TestHandler(JobKind.Train, (j, _) => Task.FromResult(TestHandler.Done(j)));
        var processor = Processor(handler);
        // First delivery: the job runs, but the worker dies before its completion reaches Service Bus.
        await processor.ProcessAsync(SampleJobs.Received(job, deliveryCount: 1), new RecordingActions(_log), CancellationToken.None);

        var actions = new RecordingActions(_log);
        var outcome = await processor.ProcessAsync(SampleJobs.Received(job, deliveryCount: 2), actions, CancellationToken.None);

        Assert.Equal(JobMessageOutcome.CompletedFromStoredResult, outcome);
        Assert.Equal(1, handler.Calls);
        Assert.Equal(["complete"], actions.Actions);
        Assert.Equal(2, _sink.Results.Count);
        Assert.Equal(_sink.Results[0].JobId, _sink.Results[1].JobId);
        Assert.Equal(_sink.Results[0].Outputs, _sink.Results[1].Outputs);
        Assert.Equal(_sink.Results[0].GpuSeconds, _sink.Results[1].GpuSeconds);
    }

    [Fact]
    public async Task A_result_that_could_not_be_sent_is_abandoned_and_the_redelivery_sends_the_stored_one()
    {
        var job = SampleJobs.Generate();
        var handler = new TestHandler(JobKind.Generate, (j, _) => Task.FromResult(TestHandler.Done(j)));
        var processor = Processor(handler);
        _sink.FailWith = new IOException("queue unreachable");
        var first = new RecordingActions(_log);
        var firstOutcome = await processor.ProcessAsync(SampleJobs.Received(job, deliveryCount: 1), first, CancellationToken.None);

        _sink.FailWith = null;
        var second = new RecordingActions(_log);
        var secondOutcome = await processor.ProcessAsync(SampleJobs.Received(job, deliveryCount: 2), second, CancellationToken.None);

        Assert.Equal((JobMessageOutcome.Abandoned, JobMessageOutcome.CompletedFromStoredResult), (firstOutcome, secondOutcome));
        Assert.Equal(["abandon"], first.Actions);
        Assert.Equal(["complete"], second.Actions);
        Assert.Equal(1, handler.Calls);
        Assert.Single(_sink.Results);
    }

    [Fact]
    public async Task Stopping_passes_the_token_to_the_running_handler_and_abandons_the_message()
    {
        using var stopping = new CancellationTokenSource();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var checkpointed = false;
        var handler = new TestHandler(JobKind.Train, async (_, token) =>
        {
            entered.SetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, token);
            }
            catch (OperationCanceledException)
            {
                checkpointed = true; // where the trainer saves its checkpoint before giving up
                throw;
            }

            throw new InvalidOperationException("unreachable");
        });
        var job = SampleJobs.Train();
        var actions = new RecordingActions(_log);

        var processing = Processor(handler).ProcessAsync(SampleJobs.Received(job), actions, stopping.Token);
        await entered.Task;
        await stopping.CancelAsync(); // SIGTERM: the host's stopping token
        var outcome = await processing;

        Assert.Equal(JobMessageOutcome.Abandoned, outcome);
        Assert.True(checkpointed);
        Assert.Equal(["abandon"], actions.Actions);
        Assert.Empty(_sink.Results);
        Assert.False(await _temp.Storage.ExistsAsync(JobMessageProcessor.ResultBlob(job)));
    }

    [Fact]
    public async Task A_message_waiting_for_the_gpu_when_the_worker_stops_is_abandoned_without_running()
    {
        using var stopping = new CancellationTokenSource();
        var generate = new TestHandler(JobKind.Generate, (j, _) => Task.FromResult(TestHandler.Done(j)));
        var processor = Processor(generate);
        var actions = new RecordingActions(_log);
        Task<JobMessageOutcome> waiting;
        using (await _gate.EnterAsync(CancellationToken.None))
        {
            waiting = processor.ProcessAsync(SampleJobs.Received(SampleJobs.Generate()), actions, stopping.Token);
            await WaitUntil(() => _gate.Waiting == 1);
            await stopping.CancelAsync();
            Assert.Equal(JobMessageOutcome.Abandoned, await waiting);
        }

        Assert.Equal(0, generate.Calls);
        Assert.Equal(["abandon"], actions.Actions);
    }

    [Fact]
    public async Task Jobs_from_different_queues_never_overlap_on_the_gpu()
    {
        var releaseTrain = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var trainEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var train = new TestHandler(JobKind.Train, async (j, _) =>
        {
            _log.Add("enter train");
            trainEntered.SetResult();
            await releaseTrain.Task;
            _log.Add("exit train");
            return TestHandler.Done(j);
        });
        var generate = new TestHandler(JobKind.Generate, async (j, _) =>
        {
            _log.Add("enter generate");
            await Task.Yield();
            _log.Add("exit generate");
            return TestHandler.Done(j);
        });
        var processor = Processor(train, generate);

        // The two queues' processors each hand over one message at the same time.
        var first = processor.ProcessAsync(SampleJobs.Received(SampleJobs.Train()), new RecordingActions(_log, " train"), CancellationToken.None);
        await trainEntered.Task;
        var second = processor.ProcessAsync(SampleJobs.Received(SampleJobs.Generate()), new RecordingActions(_log, " generate"), CancellationToken.None);
        await WaitUntil(() => _gate.Waiting == 1);
        releaseTrain.SetResult();
        await Task.WhenAll(first, second);

        var gpu = _log.Events.Where(e => e.StartsWith("enter", StringComparison.Ordinal) || e.StartsWith("exit", StringComparison.Ordinal)).ToList();
        Assert.Equal(["enter train", "exit train", "enter generate", "exit generate"], gpu);
    }

    [Fact]
    public async Task Many_concurrent_messages_across_kinds_run_strictly_one_after_another()
    {
        var inside = 0;
        var maxInside = 0;
        async Task<JobResult> Run(Job job)
        {
            var now = Interlocked.Increment(ref inside);
            InterlockedMax(ref maxInside, now);
            _log.Add($"enter {job.JobId}");
            await Task.Yield();
            _log.Add($"exit {job.JobId}");
            Interlocked.Decrement(ref inside);
            return TestHandler.Done(job);
        }

        var processor = Processor(
            new TestHandler(JobKind.Train, (j, _) => Run(j)),
            new TestHandler(JobKind.Generate, (j, _) => Run(j)));
        Job[] jobs = [.. Enumerable.Range(0, 6).Select(i => i % 2 == 0 ? (Job)SampleJobs.Train(i) : SampleJobs.Generate(i))];

        var outcomes = await Task.WhenAll(jobs.Select(j => Task.Run(() => processor.ProcessAsync(SampleJobs.Received(j), new RecordingActions(_log), CancellationToken.None))));

        Assert.All(outcomes, o => Assert.Equal(JobMessageOutcome.Completed, o));
        Assert.Equal(1, maxInside);
        var gpu = _log.Events.Where(e => e.StartsWith("enter", StringComparison.Ordinal) || e.StartsWith("exit", StringComparison.Ordinal)).ToList();
        Assert.Equal(jobs.Length * 2, gpu.Count);
        for (var i = 0; i < gpu.Count; i += 2)
        {
            Assert.StartsWith("enter ", gpu[i], StringComparison.Ordinal);
            Assert.Equal("exit " + gpu[i]["enter ".Length..], gpu[i + 1]);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen)
        {
            var previous = Interlocked.CompareExchange(ref target, value, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }

    /// <summary>Waits for a state another task reaches; fails after a generous bound instead of hanging.</summary>
    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 10_000 && !condition(); i++)
        {
            await Task.Delay(1);
        }

        Assert.True(condition(), "The awaited state was never reached.");
    }
}
