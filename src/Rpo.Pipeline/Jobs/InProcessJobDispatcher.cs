using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Rpo.Pipeline.Jobs;

/// <summary>
/// Runs jobs in this process (the local runner, tests): a queue drained by background tasks, each job given to the
/// <see cref="IJobHandler"/> of its kind, each result handed to the <see cref="IJobResultSink"/> — the same contract as
/// the Service Bus path, so the orchestration cannot tell them apart:
/// <list type="bullet">
/// <item>jobs and results pass through their JSON form, so a job that would not survive a queue fails here too;</item>
/// <item>a job id already dispatched is dropped, like Service Bus duplicate detection;</item>
/// <item>a handler that throws yields a failed result, like a worker reporting its failure.</item>
/// </list>
/// One job runs at a time by default, as on a worker with one GPU. If the sink itself throws, results can no longer
/// be delivered: the dispatcher stops and every later dispatch throws with that error.
/// </summary>
public sealed class InProcessJobDispatcher : IJobDispatcher, IAsyncDisposable
{
    private readonly Dictionary<JobKind, IJobHandler> _handlers = [];
    private readonly IJobResultSink _sink;
    private readonly TimeProvider _time;
    private readonly Channel<Job> _queue;
    private readonly ConcurrentDictionary<string, byte> _dispatched = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task[] _workers;
    private volatile Exception? _fault;
    private int _disposed;

    public InProcessJobDispatcher(IEnumerable<IJobHandler> handlers, IJobResultSink sink, int maxConcurrency = 1, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(handlers);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrency, 1);
        _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        _time = time ?? TimeProvider.System;
        foreach (var handler in handlers)
        {
            if (!_handlers.TryAdd(handler.Kind, handler))
            {
                throw new ArgumentException($"Two handlers for {handler.Kind.ToName()} jobs: {_handlers[handler.Kind].GetType().Name} and {handler.GetType().Name}.", nameof(handlers));
            }
        }

        _queue = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = maxConcurrency == 1 });
        _workers = [.. Enumerable.Range(0, maxConcurrency).Select(_ => Task.Run(WorkAsync))];
    }

    /// <summary>The sink's error that stopped this dispatcher, if any.</summary>
    public Exception? Fault => _fault;

    public async Task DispatchAsync(Job job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_fault is { } fault)
        {
            throw new InvalidOperationException($"The in-process dispatcher stopped: its result sink failed ({fault.Message}).", fault);
        }

        if (!_handlers.ContainsKey(job.Kind))
        {
            throw new InvalidOperationException(
                $"No handler for {job.Kind.ToName()} jobs here (handlers: {string.Join(", ", _handlers.Keys.Select(k => k.ToName()))}).");
        }

        var copy = JobMessages.ParseJob(JobMessages.Serialize(job));
        if (!_dispatched.TryAdd(copy.JobId, 0))
        {
            return;
        }

        await _queue.Writer.WriteAsync(copy, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops taking jobs and waits until every queued job has run and been reported.</summary>
    public async Task CompleteAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_workers).ConfigureAwait(false);
    }

    /// <summary>Cancels running jobs (their results are not reported) and waits for the background tasks to end.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_workers).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task WorkAsync()
    {
        try
        {
            await foreach (var job in _queue.Reader.ReadAllAsync(_stopping.Token).ConfigureAwait(false))
            {
                var result = await RunAsync(job).ConfigureAwait(false);
                if (result is null)
                {
                    return;
                }

                try
                {
                    await _sink.OnJobCompletedAsync(result, _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
                {
                    return;
                }
#pragma warning disable CA1031 // The sink's error is kept and rethrown to the next dispatcher call.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    _fault ??= e;
                    _queue.Writer.TryComplete();
                    await _stopping.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>The job's result, or null when the dispatcher is stopping.</summary>
    private async Task<JobResult?> RunAsync(Job job)
    {
        var handler = _handlers[job.Kind];
        var started = _time.GetTimestamp();
        JobResult result;
        try
        {
            result = await handler.HandleAsync(job, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return null;
        }
#pragma warning disable CA1031 // Any exception of a handler is the job's failure, reported like a worker would.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return JobResult.Failure(job, e.GetType().Name, e.Message, _time.GetElapsedTime(started).TotalSeconds);
        }

        if (result is null || result.JobId != job.JobId)
        {
            return JobResult.Failure(
                job,
                "InvalidJobResult",
                $"{handler.GetType().Name} returned a result for '{result?.JobId ?? "nothing"}' instead of '{job.JobId}'.",
                _time.GetElapsedTime(started).TotalSeconds);
        }

        try
        {
            return JobMessages.ParseResult(JobMessages.Serialize(result));
        }
        catch (JobParseException e)
        {
            return JobResult.Failure(job, "InvalidJobResult", $"{handler.GetType().Name} returned an invalid result: {e.Message}", result.GpuSeconds);
        }
    }
}
