using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Orchestration;

namespace Rpo.Functions.Functions;

/// <summary>
/// Turns what GPU workers report on the job-results queue (<see cref="JobReports"/> envelopes) into the waiting run's
/// external events. A message that cannot be read is logged with the field at fault and completed: retrying cannot
/// fix it. A report for a run that does not exist or has ended (canceled, failed, superseded) is dropped the same way.
/// Only a failure to raise the event throws, so the host retries it (host.json's queues.maxDequeueCount) and then
/// moves it to job-results-poison — never forever.
/// </summary>
public sealed class JobResultsQueueTrigger(ILogger<JobResultsQueueTrigger> logger)
{
    public const string Name = "JobResults";

    [Function(Name)]
    public async Task RunAsync(
        [QueueTrigger(AppSettings.JobResultsQueue, Connection = AppSettings.StorageConnection)] QueueMessage message,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(client);
        JobReport report;
        try
        {
            report = JobReports.Parse(message.Body);
        }
        catch (JobParseException e)
        {
            logger.LogError("Job-results message {MessageId} dropped: field '{Field}': {Reason}", message.MessageId, e.Field, e.Reason);
            return;
        }

        var instance = await client.GetInstanceAsync(report.RunId.Value, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false);
        if (instance is null || !RunCanceller.IsActive(instance.RuntimeStatus))
        {
            logger.LogWarning(
                "Job-results message {MessageId} ({Type} for {RunId}) dropped: the run {State}",
                message.MessageId,
                report.Type,
                report.RunId,
                instance is null ? "does not exist" : $"has ended ({instance.RuntimeStatus})");
            return;
        }

        await report.DeliverAsync(new JobResultEventRaiser(client), cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Run {RunId}: raised {Event} (message {MessageId}, delivery {DequeueCount})", report.RunId, report.EventName, message.MessageId, message.DequeueCount);
    }
}
