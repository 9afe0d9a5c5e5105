using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Jobs;

/// <summary>
/// Runs a job at most once per storage: the result a handler returns is kept at
/// <see cref="StorageLayout.JobResultFile"/> (work/{runId}/jobs/{kind}-{index}.json), and a job whose result is already
/// there gets that result back without running again. A redelivered Service Bus message, a job dispatched again by a
/// restarted <c>rpo run</c>, or a replayed orchestration therefore never redoes GPU work that finished. Results the
/// handler returns are kept, failed ones too (they are the job's answer, e.g. bad data); exceptions are not, so a
/// crash is retried. The worker and the in-process dispatcher both go through this.
/// </summary>
public sealed class IdempotentJobHandler : IJobHandler
{
    private readonly IBlobStorage _storage;
    private readonly ILogger _logger;

    public IdempotentJobHandler(IJobHandler inner, IBlobStorage storage, ILogger? logger = null)
    {
        Inner = inner ?? throw new ArgumentNullException(nameof(inner));
        _storage = storage ?? throw new ArgumentNullException(nameof(storage));
        _logger = logger ?? NullLogger.Instance;
        if (inner is IdempotentJobHandler)
        {
            throw new ArgumentException("The handler already keeps its results; wrapping it twice would store each result twice.", nameof(inner));
        }
    }

    public IJobHandler Inner { get; }

    public JobKind Kind => Inner.Kind;

    /// <summary>Where a job's result is kept: work/{runId}/jobs/{kind}-{index}.json.</summary>
    public static BlobRef ResultBlob(Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return StorageLayout.JobResultFile(job.RunId, $"{job.Kind.ToName()}-{job.Index}");
    }

    /// <summary>Wraps <paramref name="handler"/> unless it already is one of these.</summary>
    public static IdempotentJobHandler Wrap(IJobHandler handler, IBlobStorage storage, ILogger? logger = null) =>
        handler as IdempotentJobHandler ?? new IdempotentJobHandler(handler, storage, logger);

    public async Task<JobResult> HandleAsync(Job job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (await TryStoredResultAsync(job, cancellationToken).ConfigureAwait(false) is { } stored)
        {
            _logger.LogInformation("{JobId} already has a result at {Blob}; returning it without running the job.", job.JobId, ResultBlob(job));
            return stored;
        }

        var result = await Inner.HandleAsync(job, cancellationToken).ConfigureAwait(false);
        if (result is not null && result.JobId == job.JobId)
        {
            await StoreAsync(result, CancellationToken.None).ConfigureAwait(false);
        }

        return result!;
    }

    /// <summary>The stored result of <paramref name="job"/>; null when there is none (or it is unreadable or another job's).</summary>
    public async Task<JobResult?> TryStoredResultAsync(Job job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var blob = ResultBlob(job);
        var data = await _storage.TryReadAsync(blob, cancellationToken).ConfigureAwait(false);
        if (data is null)
        {
            return null;
        }

        try
        {
            var stored = JobMessages.ParseResult(BinaryData.FromBytes(data.Content));
            if (stored.JobId == job.JobId)
            {
                return stored;
            }

            _logger.LogWarning("{Blob} holds the result of {Other}, not {JobId}; running the job.", blob, stored.JobId, job.JobId);
        }
        catch (JobParseException e)
        {
            _logger.LogWarning("{Blob} is not a readable result ({Problem}); running {JobId} again.", blob, e.Message, job.JobId);
        }

        return null;
    }

    /// <summary>Keeps <paramref name="result"/> as its job's answer.</summary>
    public Task StoreAsync(JobResult result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        var blob = StorageLayout.JobResultFile(result.RunId, $"{result.Kind.ToName()}-{result.Index}");
        return _storage.WriteAsync(blob, JobMessages.Serialize(result).ToMemory(), cancellationToken: cancellationToken);
    }
}
