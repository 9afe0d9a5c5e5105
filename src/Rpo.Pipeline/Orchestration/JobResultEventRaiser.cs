using Microsoft.DurableTask.Client;
using Rpo.Pipeline.Jobs;

namespace Rpo.Pipeline.Orchestration;

/// <summary>
/// Turns what the GPU side reports into external events of the waiting run: the orchestration instance id is the run
/// id, the event name says which job or report it is (<see cref="RunEvents"/>). The local runner gives it to the
/// <see cref="InProcessJobDispatcher"/>; in Azure the Service Bus result trigger calls it.
/// </summary>
public sealed class JobResultEventRaiser(DurableTaskClient client) : IJobResultSink, ITrainingProgressSink
{
    public Task OnJobCompletedAsync(JobResult result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        return client.RaiseEventAsync(result.RunId.Value, RunEvents.ForResult(result), result, cancellationToken);
    }

    public Task OnLabelsDrawnAsync(LabelsDrawn report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        return client.RaiseEventAsync(report.RunId.Value, RunEvents.LabelsDrawn, report, cancellationToken);
    }

    public Task OnCheckpointSavedAsync(CheckpointSaved report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        return client.RaiseEventAsync(report.RunId.Value, RunEvents.CheckpointSaved(report.Step), report, cancellationToken);
    }
}
