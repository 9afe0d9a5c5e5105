using System.Text.Json;
using Microsoft.DurableTask.Client;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Orchestration;

public enum RunCancelResult
{
    /// <summary>The cancel marker is written and the run's cancel event raised.</summary>
    Requested,

    /// <summary>No run has this id.</summary>
    NotFound,

    /// <summary>The run has already ended (completed, failed, terminated): nothing to cancel.</summary>
    NotRunning,
}

public sealed record RunCancel(RunCancelResult Result, OrchestrationMetadata? Instance);

/// <summary>
/// Cancels a run from outside (the HTTP API, a superseding upload, <c>rpo cancel</c>): writes the run's cancel marker
/// first, which a GPU job already running polls (<see cref="StorageLayout.CancelMarker"/>), then raises
/// <see cref="RunEvents.Cancel"/>, on which the orchestration stops waiting and publishes nothing.
/// </summary>
public sealed class RunCanceller(DurableTaskClient client, IBlobStorage storage)
{
    /// <summary>What the cancel marker holds: why, for the job's log.</summary>
    public sealed record CancelMarker(string Reason);

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

        var text = string.IsNullOrWhiteSpace(reason) ? "canceled on request" : reason.Trim();
        var marker = JsonSerializer.SerializeToUtf8Bytes(new CancelMarker(text), RunJson.Indented);
        await storage.WriteAsync(StorageLayout.CancelMarker(runId), marker, cancellationToken: cancellationToken).ConfigureAwait(false);
        await client.RaiseEventAsync(runId.Value, RunEvents.Cancel, text, cancellationToken).ConfigureAwait(false);
        return new RunCancel(RunCancelResult.Requested, instance);
    }

    /// <summary>Running, or scheduled and not yet started: a run that can still be stopped.</summary>
    public static bool IsActive(OrchestrationRuntimeStatus status) =>
        status is OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Suspended;
}
