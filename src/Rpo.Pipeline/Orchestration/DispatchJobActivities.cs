using Microsoft.DurableTask;
using Rpo.Pipeline.Jobs;

namespace Rpo.Pipeline.Orchestration;

/// <summary>
/// Hands one job to the <see cref="IJobDispatcher"/> and returns its id; the result comes back later as an external
/// event (<see cref="RunEvents.ForJob(Job)"/>). A retried dispatch is harmless: the job id is the same, and both
/// dispatchers run a job id once. One activity per job type, so the job travels as its own small record.
/// </summary>
public abstract class DispatchJobActivity<TJob>(IJobDispatcher dispatcher) : TaskActivity<TJob, string>
    where TJob : Job
{
    public override async Task<string> RunAsync(TaskActivityContext context, TJob input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await dispatcher.DispatchAsync(input).ConfigureAwait(false);
        return input.JobId;
    }
}

public sealed class DispatchGenerateJobActivity(IJobDispatcher dispatcher) : DispatchJobActivity<GenerateJob>(dispatcher);

public sealed class DispatchTrainJobActivity(IJobDispatcher dispatcher) : DispatchJobActivity<TrainJob>(dispatcher);

public sealed class DispatchScoreCheckpointJobActivity(IJobDispatcher dispatcher) : DispatchJobActivity<ScoreCheckpointJob>(dispatcher);
