using System.Text.Json;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;
using Rpo.Pipeline.Tests.Jobs;

namespace Rpo.Pipeline.Tests.Orchestration;

public sealed class ModelAnnouncementTests
{
    [Fact]
    public async Task Azure_only_service_mocked_an_announcement_is_one_deduplicable_message_on_the_topic()
    {
        var sender = new CapturingSender(ServiceBusModelAnnouncer.DefaultTopic);
        var runId = RunId.Parse("rex-0123456789abcdef");
        var published = new ModelPublished("rex", runId.Hash, runId, StorageLayout.ModelVersionFolder("rex", runId.Hash), 20, 0.71);

        await new ServiceBusModelAnnouncer(sender).AnnounceAsync(published, CancellationToken.None);

        var message = Assert.Single(sender.Messages);
        Assert.Equal("rex:0123456789abcdef", message.MessageId);
        Assert.Equal("rex", message.CorrelationId);
        Assert.Equal("model-published", message.Subject);
        Assert.Equal("application/json", message.ContentType);
        var body = JsonSerializer.Deserialize<ModelPublished>(message.Body, RunJson.Options);
        Assert.Equal(published, body);
        using var json = JsonDocument.Parse(message.Body);
        Assert.Equal("models/rex/0123456789abcdef/", json.RootElement.GetProperty("folder").GetString());
    }
}

/// <summary>Records announcements in memory (the local runner announces nothing; Azure's goes to Service Bus).</summary>
internal sealed class RecordingAnnouncer : IModelAnnouncer
{
    public List<ModelPublished> Announced { get; } = [];

    public Task AnnounceAsync(ModelPublished published, CancellationToken cancellationToken)
    {
        lock (Announced)
        {
            Announced.Add(published);
        }

        return Task.CompletedTask;
    }
}
