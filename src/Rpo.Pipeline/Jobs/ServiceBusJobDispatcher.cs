using System.Collections.Concurrent;
using Azure.Messaging.ServiceBus;

namespace Rpo.Pipeline.Jobs;

/// <summary>The Service Bus queues of the pipeline: one per job kind, one for results.</summary>
public sealed record ServiceBusQueueNames(string Train, string ScoreCheckpoint, string Generate, string Results)
{
    /// <summary>The names the infrastructure deploys.</summary>
    public static ServiceBusQueueNames Default { get; } = new("jobs-train", "jobs-score-checkpoint", "jobs-generate", "job-results");

    public string For(JobKind kind) => kind switch
    {
        JobKind.Train => Train,
        JobKind.ScoreCheckpoint => ScoreCheckpoint,
        JobKind.Generate => Generate,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown job kind."),
    };
}

/// <summary>
/// Sends each job to its kind's queue as described in <see cref="ServiceBusJobMessages"/>. The queues have duplicate
/// detection on, so dispatching a job id twice (a retried activity) runs it once. The client is the caller's; the
/// senders this creates are closed on dispose.
/// </summary>
public sealed class ServiceBusJobDispatcher : IJobDispatcher, IAsyncDisposable
{
    private readonly ServiceBusClient _client;
    private readonly ConcurrentDictionary<string, ServiceBusSender> _senders = new(StringComparer.Ordinal);

    public ServiceBusJobDispatcher(ServiceBusClient client, ServiceBusQueueNames? queues = null)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        Queues = queues ?? ServiceBusQueueNames.Default;
    }

    public ServiceBusQueueNames Queues { get; }

    public async Task DispatchAsync(Job job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        var sender = _senders.GetOrAdd(Queues.For(job.Kind), _client.CreateSender);
        await sender.SendMessageAsync(ServiceBusJobMessages.Create(job), cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var sender in _senders.Values)
        {
            await sender.DisposeAsync().ConfigureAwait(false);
        }

        _senders.Clear();
    }
}

/// <summary>Reports results to the results queue (the GPU worker's sink); the functions app turns them into events.</summary>
public sealed class ServiceBusJobResultSink : IJobResultSink, IAsyncDisposable
{
    private readonly ServiceBusSender _sender;

    public ServiceBusJobResultSink(ServiceBusClient client, ServiceBusQueueNames? queues = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _sender = client.CreateSender((queues ?? ServiceBusQueueNames.Default).Results);
    }

    public Task OnJobCompletedAsync(JobResult result, CancellationToken cancellationToken) =>
        _sender.SendMessageAsync(ServiceBusJobMessages.Create(result), cancellationToken);

    public ValueTask DisposeAsync() => _sender.DisposeAsync();
}
