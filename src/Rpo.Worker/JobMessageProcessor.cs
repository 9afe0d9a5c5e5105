using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Storage;

namespace Rpo.Worker;

/// <summary>
/// Everything the worker decides about one job message, without Service Bus: parse it, skip it when an earlier
/// delivery already stored its result, run it on the GPU (one job at a time), store and report the result, and settle
/// the message. The rules:
/// <list type="bullet">
/// <item>an unreadable message, or one no handler here runs, is dead-lettered at once (retrying cannot fix it);</item>
/// <item>a result the handler returns (succeeded, or failed because of the user's data) is written to the job's
/// result blob, sent to the result sink, and only then is the message completed — so a worker that dies in between
/// leaves a redelivery that finds the blob and re-sends the result without running the job again;</item>
/// <item>a handler that throws is abandoned for another delivery, unless the error is one a rerun cannot fix or this
/// was the last delivery the queue allows: then a failed result is reported and the message dead-lettered, so the
/// orchestration learns of it instead of waiting;</item>
/// <item>when the worker stops (SIGTERM), the handler sees the stopping token (the trainer saves a checkpoint and
/// returns by throwing <see cref="OperationCanceledException"/>) and the message is abandoned, not completed, so
/// another execution picks the job up again.</item>
/// </list>
/// </summary>
public sealed class JobMessageProcessor
{
    /// <summary>Service Bus limits the dead-letter reason and description; longer text is cut.</summary>
    public const int MaxDeadLetterText = 4096;

    private readonly Dictionary<JobKind, IdempotentJobHandler> _handlers = [];
    private readonly IJobResultSink _sink;
    private readonly IBlobStorage _storage;
    private readonly GpuJobGate _gate;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    /// <param name="maxDeliveryCount">The queues' MaxDeliveryCount (infra/modules/serviceBus.bicep): the delivery on
    /// which a failing job is given up.</param>
    public JobMessageProcessor(
        IEnumerable<IJobHandler> handlers,
        IJobResultSink sink,
        IBlobStorage storage,
        GpuJobGate gate,
        int maxDeliveryCount,
        ILogger<JobMessageProcessor>? logger = null,
        TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(handlers);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDeliveryCount, 1);
        _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        _storage = storage ?? throw new ArgumentNullException(nameof(storage));
        _gate = gate ?? throw new ArgumentNullException(nameof(gate));
        MaxDeliveryCount = maxDeliveryCount;
        _logger = logger ?? NullLogger<JobMessageProcessor>.Instance;
        _time = time ?? TimeProvider.System;
        foreach (var handler in handlers)
        {
            // The stored-result rule is the shared one of the in-process runner; the worker applies its two halves
            // itself, checking before it waits for the GPU and storing before it settles the message.
            if (!_handlers.TryAdd(handler.Kind, IdempotentJobHandler.Wrap(handler, _storage, _logger)))
            {
                throw new ArgumentException($"Two handlers for {handler.Kind.ToName()} jobs: {_handlers[handler.Kind].Inner.GetType().Name} and {handler.GetType().Name}.", nameof(handlers));
            }
        }
    }

    public int MaxDeliveryCount { get; }

    /// <summary>The job kinds this worker runs (one queue is listened to per kind).</summary>
    public IReadOnlyCollection<JobKind> Kinds => _handlers.Keys;

    /// <summary>Where a job's result is kept: work/{runId}/jobs/{kind}-{index}.json (<see cref="IdempotentJobHandler.ResultBlob"/>).</summary>
    public static BlobRef ResultBlob(Job job) => IdempotentJobHandler.ResultBlob(job);

    /// <summary>
    /// Errors a rerun of the same message cannot fix: bad arguments or data in the job, a missing input blob, an
    /// unsupported configuration. Anything else (I/O, network, CUDA out of memory on a busy device) may pass.
    /// </summary>
    public static bool IsPermanent(Exception error) => error is ArgumentException
        or FormatException
        or InvalidDataException
        or NotSupportedException
        or NotImplementedException
        or BlobNotFoundException;

    /// <param name="stopping">The host's stopping token: passed to the handler, and the reason to abandon.</param>
    public async Task<JobMessageOutcome> ProcessAsync(ServiceBusReceivedMessage message, IMessageActions actions, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(actions);

        Job job;
        try
        {
            job = ServiceBusJobMessages.ParseJob(message);
        }
        catch (JobParseException e)
        {
            _logger.LogError("Message {MessageId} is not a job this worker can read ({Field}: {Reason}); dead-lettering it.", message.MessageId, e.Field, e.Reason);
            await actions.DeadLetterAsync($"InvalidJobMessage: {e.Field}", Cut(e.Message)).ConfigureAwait(false);
            return JobMessageOutcome.DeadLettered;
        }

        if (!_handlers.TryGetValue(job.Kind, out var handler))
        {
            var known = string.Join(", ", _handlers.Keys.Select(k => k.ToName()));
            _logger.LogError("No handler for {Kind} jobs here (handlers: {Known}); dead-lettering {JobId}.", job.Kind.ToName(), known, job.JobId);
            await actions.DeadLetterAsync("NoHandler", Cut($"This worker runs {known} jobs, not {job.Kind.ToName()} ({job.JobId}).")).ConfigureAwait(false);
            return JobMessageOutcome.DeadLettered;
        }

        var resultBlob = ResultBlob(job);
        JobResult? stored;
        try
        {
            stored = await handler.TryStoredResultAsync(job, stopping).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Storage unreachable or the worker stopping: the job is neither run nor lost.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _logger.LogWarning(e, "Could not check for a stored result of {JobId} at {Blob}; abandoning the message.", job.JobId, resultBlob);
            await actions.AbandonAsync().ConfigureAwait(false);
            return JobMessageOutcome.Abandoned;
        }

        if (stored is not null)
        {
            _logger.LogInformation("{JobId} already has a result at {Blob} (delivery {Delivery}); reporting it again without running the job.", job.JobId, resultBlob, message.DeliveryCount);
            return await ReportAndCompleteAsync(stored, actions, JobMessageOutcome.CompletedFromStoredResult).ConfigureAwait(false);
        }

        IDisposable gpu;
        try
        {
            gpu = await _gate.EnterAsync(stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            await actions.AbandonAsync().ConfigureAwait(false);
            return JobMessageOutcome.Abandoned;
        }

        JobResult result;
        using (gpu)
        {
            var started = _time.GetTimestamp();
            try
            {
                _logger.LogInformation("Running {JobId} (delivery {Delivery} of {Max}).", job.JobId, message.DeliveryCount, MaxDeliveryCount);
                result = Checked(job, handler.Inner, await handler.Inner.HandleAsync(job, stopping).ConfigureAwait(false), _time.GetElapsedTime(started).TotalSeconds);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                _logger.LogWarning("{JobId} stopped because the worker is stopping; abandoning it for redelivery.", job.JobId);
                await actions.AbandonAsync().ConfigureAwait(false);
                return JobMessageOutcome.Abandoned;
            }
#pragma warning disable CA1031 // Every handler error is either retried or reported; none may escape into the processor.
            catch (Exception e)
#pragma warning restore CA1031
            {
                return await FailedAsync(job, message, actions, e, _time.GetElapsedTime(started).TotalSeconds).ConfigureAwait(false);
            }
        }

        try
        {
            // Not cancelled by shutdown: a finished job's result is worth the second it takes to keep.
            await handler.StoreAsync(result, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Without the blob a redelivery reruns the job; that is the retry.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _logger.LogError(e, "Could not store the result of {JobId} at {Blob}; abandoning the message.", job.JobId, resultBlob);
            await actions.AbandonAsync().ConfigureAwait(false);
            return JobMessageOutcome.Abandoned;
        }

        return await ReportAndCompleteAsync(result, actions, JobMessageOutcome.Completed).ConfigureAwait(false);
    }

    /// <summary>A result that will survive the queue; anything else becomes a failed result naming the handler.</summary>
    private static JobResult Checked(Job job, IJobHandler handler, JobResult? result, double seconds)
    {
        if (result is null || result.JobId != job.JobId)
        {
            return JobResult.Failure(job, "InvalidJobResult", $"{handler.GetType().Name} returned a result for '{result?.JobId ?? "nothing"}' instead of '{job.JobId}'.", seconds);
        }

        try
        {
            return JobMessages.ParseResult(JobMessages.Serialize(result));
        }
        catch (JobParseException e)
        {
            return JobResult.Failure(job, "InvalidJobResult", $"{handler.GetType().Name} returned an invalid result: {e.Message}", seconds);
        }
    }

    private async Task<JobMessageOutcome> FailedAsync(Job job, ServiceBusReceivedMessage message, IMessageActions actions, Exception error, double seconds)
    {
        var permanent = IsPermanent(error);
        var last = message.DeliveryCount >= MaxDeliveryCount;
        if (!permanent && !last)
        {
            _logger.LogWarning(error, "{JobId} failed on delivery {Delivery} of {Max}; abandoning it for another try.", job.JobId, message.DeliveryCount, MaxDeliveryCount);
            await actions.AbandonAsync().ConfigureAwait(false);
            return JobMessageOutcome.Abandoned;
        }

        var why = permanent
            ? $"{error.GetType().Name} cannot be fixed by a retry"
            : $"failed on delivery {message.DeliveryCount} of {MaxDeliveryCount}";
        _logger.LogError(error, "{JobId} {Why}; reporting the failure and dead-lettering the message.", job.JobId, why);

        // The failure is reported but not stored: a message resubmitted from the dead-letter queue is a deliberate retry.
        var failure = JobResult.Failure(job, error.GetType().Name, Cut(error.Message), seconds);
        try
        {
            await _sink.OnJobCompletedAsync(failure, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The dead-letter queue still holds the job; the orchestration's timeout is the fallback.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _logger.LogError(e, "Could not report the failure of {JobId}.", job.JobId);
        }

        await actions.DeadLetterAsync(
            permanent ? "JobFailed" : "MaxDeliveryCountReached",
            Cut($"{job.JobId} {why}: {error.GetType().FullName}: {error.Message}")).ConfigureAwait(false);
        return JobMessageOutcome.DeadLettered;
    }

    private async Task<JobMessageOutcome> ReportAndCompleteAsync(JobResult result, IMessageActions actions, JobMessageOutcome outcome)
    {
        try
        {
            await _sink.OnJobCompletedAsync(result, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The stored result makes the redelivery re-send it without running the job.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _logger.LogError(e, "Could not report the result of {JobId}; abandoning the message so a redelivery re-sends it.", result.JobId);
            await actions.AbandonAsync().ConfigureAwait(false);
            return JobMessageOutcome.Abandoned;
        }

        await actions.CompleteAsync().ConfigureAwait(false);
        _logger.LogInformation("{JobId} {Status}; message completed.", result.JobId, result.Status);
        return outcome;
    }

    private static string Cut(string text) => text.Length <= MaxDeadLetterText ? text : text[..(MaxDeadLetterText - 1)] + "…";
}
