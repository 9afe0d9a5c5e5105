using System.Text.Json;
using Azure.Messaging.ServiceBus;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Orchestration;

/// <summary>What subscribers of <c>model-published</c> receive: where the new version is and how good it scored.</summary>
/// <param name="Folder">The version's folder (models/{subjectId}/{version}/).</param>
public sealed record ModelPublished(string SubjectId, string Version, RunId RunId, BlobRef Folder, int SelectedStep, double Reward);

/// <summary>Tells the world a version became current (Azure: the model-published topic). Optional: the local runner has none.</summary>
public interface IModelAnnouncer
{
    Task AnnounceAsync(ModelPublished published, CancellationToken cancellationToken);
}

/// <summary>
/// Sends each announcement to the Service Bus topic (<c>model-published</c> in infra/). The message id is
/// "{subjectId}:{version}", so a retried publish activity announces once under the topic's duplicate detection; the
/// subject id is the correlation id, for subscription filters on one subject.
/// </summary>
public sealed class ServiceBusModelAnnouncer(ServiceBusSender sender) : IModelAnnouncer
{
    public const string DefaultTopic = "model-published";

    private readonly ServiceBusSender _sender = sender ?? throw new ArgumentNullException(nameof(sender));

    public static ServiceBusMessage CreateMessage(ModelPublished published)
    {
        ArgumentNullException.ThrowIfNull(published);
        return new ServiceBusMessage(BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(published, RunJson.Options)))
        {
            MessageId = $"{published.SubjectId}:{published.Version}",
            CorrelationId = published.SubjectId,
            Subject = "model-published",
            ContentType = "application/json",
        };
    }

    public Task AnnounceAsync(ModelPublished published, CancellationToken cancellationToken) =>
        _sender.SendMessageAsync(CreateMessage(published), cancellationToken);
}
