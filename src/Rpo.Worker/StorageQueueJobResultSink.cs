using Azure.Storage.Queues;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Orchestration;

namespace Rpo.Worker;

/// <summary>
/// Reports results and a train job's progress to the job-results storage queue, where the Functions app's queue
/// trigger raises the waiting orchestration's event (the isolated worker has no Service Bus trigger offline, so infra/
/// deploys the results queue in the storage account and grants the worker identity only Storage Queue Data Message
/// Sender on it). Each message is a <see cref="JobReports"/> envelope, since one queue carries all three report types;
/// the client must Base64-encode it (see <see cref="CreateClient"/>), which is the Functions queue trigger's default
/// message encoding.
/// </summary>
public sealed class StorageQueueJobResultSink(QueueClient queue) : IJobResultSink, ITrainingProgressSink
{
    private readonly QueueClient _queue = queue ?? throw new ArgumentNullException(nameof(queue));

    public static QueueClient CreateClient(Uri queueServiceUri, string queueName, Azure.Core.TokenCredential credential) =>
        CreateClient(queueServiceUri, queueName, credential, transport: null);

    internal static QueueClient CreateClient(Uri queueServiceUri, string queueName, Azure.Core.TokenCredential credential, Azure.Core.Pipeline.HttpPipelineTransport? transport)
    {
        ArgumentNullException.ThrowIfNull(queueServiceUri);
        ArgumentException.ThrowIfNullOrWhiteSpace(queueName);
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        if (transport is not null)
        {
            options.Transport = transport;
        }

        return new QueueServiceClient(queueServiceUri, credential, options).GetQueueClient(queueName);
    }

    public Task OnJobCompletedAsync(JobResult result, CancellationToken cancellationToken) => SendAsync(new JobResultReport(result), cancellationToken);

    public Task OnLabelsDrawnAsync(LabelsDrawn report, CancellationToken cancellationToken) => SendAsync(new LabelsDrawnReport(report), cancellationToken);

    public Task OnCheckpointSavedAsync(CheckpointSaved report, CancellationToken cancellationToken) => SendAsync(new CheckpointSavedReport(report), cancellationToken);

    private async Task SendAsync(JobReport report, CancellationToken cancellationToken) =>
        await _queue.SendMessageAsync(JobReports.Serialize(report), cancellationToken: cancellationToken).ConfigureAwait(false);
}
