using System.Collections.Concurrent;
using Azure.Messaging.ServiceBus;

namespace Rpo.Pipeline.Tests.Jobs;

// Service Bus is Azure-only: the SDK's mockable client and sender, subclassed to capture what would be sent.
internal sealed class CapturingClient : ServiceBusClient
{
    public ConcurrentDictionary<string, CapturingSender> Senders { get; } = new();

    public override ServiceBusSender CreateSender(string queueOrTopicName) => Senders.GetOrAdd(queueOrTopicName, q => new CapturingSender(q));

    public List<ServiceBusMessage> Sent(string queue) => Senders.TryGetValue(queue, out var sender) ? sender.Messages : [];
}

internal sealed class CapturingSender(string queue) : ServiceBusSender
{
    public List<ServiceBusMessage> Messages { get; } = [];

    public bool Disposed { get; private set; }

    public override string EntityPath => queue;

    public override Task SendMessageAsync(ServiceBusMessage message, CancellationToken cancellationToken = default)
    {
        lock (Messages)
        {
            Messages.Add(message);
        }

        return Task.CompletedTask;
    }

    public override ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }
}
