using Microsoft.DurableTask.Client;
using Rpo.Pipeline.Runs;

namespace Rpo.Pipeline.Orchestration;

public enum RunCancelResult
{
    /// <summary>The run's cancel event is raised.</summary>
    Requested,

    /// <summary>No run has this id.</summary>
    NotFound,

    /// <summary>The run has already ended (completed, failed, terminated): nothing to cancel.</summary>
    NotRunning,
}

public sealed record RunCancel(RunCancelResult Result, OrchestrationMetadata? Instance);

/// <summary>
/// Cancels a run through its orchestration host's client (the HTTP API, a superseding upload): raises
/// <see cref="RunEvents.Cancel"/> on a run that is still active, on which the orchestration stops waiting, writes the
/// cancel marker a running GPU job polls (<see cref="WriteCancelMarkerActivity"/>) and publishes nothing.
/// </summary>
public sealed class RunCanceller(DurableTaskClient client)
{
    public async Task<RunCancel> CancelAsync(RunId runId, string? reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        var instance = await client.GetInstanceAsync(runId.Value, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false);
        if (instance is null)
        {
            return new RunCancel(RunCancelResult.NotFound, null);
        }

        if (!IsActive(instance.RuntimeStatus))
        {
            return new RunCancel(RunCancelResult.NotRunning, instance);
        }

        var text = string.IsNullOrWhiteSpace(reason) ? null : reason.Trim();
        await client.RaiseEventAsync(runId.Value, RunEvents.Cancel, text, cancellationToken).ConfigureAwait(false);
        return new RunCancel(RunCancelResult.Requested, instance);
    }

    /// <summary>Running, or scheduled and not yet started: a run that can still be stopped.</summary>
    public static bool IsActive(OrchestrationRuntimeStatus status) =>
        status is OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Suspended;
}
