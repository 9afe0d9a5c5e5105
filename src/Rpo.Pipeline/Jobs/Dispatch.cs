namespace Rpo.Pipeline.Jobs;

/// <summary>Sends jobs to whatever runs them (a GPU worker via Service Bus, or this process).</summary>
public interface IJobDispatcher
{
    /// <summary>
    /// Hands the job over and returns; the result arrives later through an <see cref="IJobResultSink"/>. Sending the
    /// same job id again is harmless: it runs once.
    /// </summary>
    Task DispatchAsync(Job job, CancellationToken cancellationToken = default);
}

/// <summary>Runs jobs of one kind (on the GPU worker, or in-process for the local runner).</summary>
public interface IJobHandler
{
    JobKind Kind { get; }

    /// <summary>Runs the job; a failure the user or data caused is a failed <see cref="JobResult"/>, anything thrown is reported as one.</summary>
    Task<JobResult> HandleAsync(Job job, CancellationToken cancellationToken);
}

/// <summary>A handler for one job type.</summary>
public abstract class JobHandler<TJob> : IJobHandler
    where TJob : Job
{
    public abstract JobKind Kind { get; }

    public Task<JobResult> HandleAsync(Job job, CancellationToken cancellationToken) =>
        job is TJob typed
            ? HandleAsync(typed, cancellationToken)
            : throw new ArgumentException($"{GetType().Name} handles {typeof(TJob).Name}, not {job?.GetType().Name ?? "null"}.", nameof(job));

    protected abstract Task<JobResult> HandleAsync(TJob job, CancellationToken cancellationToken);
}

/// <summary>Where finished jobs are reported: the orchestration host raises its external event from here.</summary>
public interface IJobResultSink
{
    Task OnJobCompletedAsync(JobResult result, CancellationToken cancellationToken);
}
