using System.Collections.Concurrent;
using Azure.Messaging.ServiceBus;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;

namespace Rpo.Worker.Tests;

internal static class SampleJobs
{
    public static readonly RunId Run = RunId.Parse("dog-0123456789abcdef");

    public static TrainJob Train(int index = 0) => new(
        Run,
        index,
        RunOptions.Default with { LoraRank = 4 },
        "a photo of sks dog",
        [StorageLayout.SubjectFile("dog", "1.jpg")],
        [new PromptImages("a sks dog in the jungle", [StorageLayout.Negative(Run, 0, 0)])],
        StorageLayout.CheckpointsFolder(Run));

    public static GenerateJob Generate(int index = 0) => new(
        Run,
        index,
        RunOptions.DefaultBaseModel,
        null,
        ["a dog in the jungle"],
        2,
        0,
        StorageLayout.NegativesFolder(Run));

    /// <summary>The message a worker receives for <paramref name="job"/>, as the dispatcher sent it.</summary>
    public static ServiceBusReceivedMessage Received(Job job, int deliveryCount = 1)
    {
        var sent = ServiceBusJobMessages.Create(job);
        return Received(sent.Body, sent.MessageId, sent.CorrelationId, sent.Subject, deliveryCount, sent.ApplicationProperties);
    }

    public static ServiceBusReceivedMessage Received(
        BinaryData body,
        string messageId,
        string correlationId,
        string subject,
        int deliveryCount = 1,
        IDictionary<string, object>? properties = null,
        string contentType = ServiceBusJobMessages.ContentType) =>
        ServiceBusModelFactory.ServiceBusReceivedMessage(
            body: body,
            messageId: messageId,
            correlationId: correlationId,
            subject: subject,
            contentType: contentType,
            properties: properties ?? new Dictionary<string, object> { [ServiceBusJobMessages.SchemaVersionProperty] = ServiceBusJobMessages.SchemaVersion },
            deliveryCount: deliveryCount);
}

/// <summary>Records what happened, in order, across actions, sink and handlers.</summary>
internal sealed class EventLog
{
    private readonly ConcurrentQueue<string> _events = new();

    public IReadOnlyList<string> Events => [.. _events];

    public void Add(string text) => _events.Enqueue(text);
}

internal sealed class RecordingActions(EventLog log, string name = "") : IMessageActions
{
    public List<string> Actions { get; } = [];

    public string? DeadLetterReason { get; private set; }

    public string? DeadLetterDescription { get; private set; }

    public Task CompleteAsync() => Record("complete");

    public Task AbandonAsync() => Record("abandon");

    public Task DeadLetterAsync(string reason, string description)
    {
        DeadLetterReason = reason;
        DeadLetterDescription = description;
        return Record("dead-letter");
    }

    private Task Record(string action)
    {
        lock (Actions)
        {
            Actions.Add(action);
        }

        log.Add($"{action}{name}");
        return Task.CompletedTask;
    }
}

internal sealed class RecordingSink(EventLog log) : IJobResultSink
{
    private readonly ConcurrentQueue<JobResult> _results = new();

    public IReadOnlyList<JobResult> Results => [.. _results];

    public Exception? FailWith { get; set; }

    public Task OnJobCompletedAsync(JobResult result, CancellationToken cancellationToken)
    {
        if (FailWith is { } error)
        {
            throw error;
        }

        _results.Enqueue(result);
        log.Add($"result {result.JobId} {result.Status}");
        return Task.CompletedTask;
    }
}

/// <summary>A handler whose body the test gives; counts its calls.</summary>
internal sealed class TestHandler(JobKind kind, Func<Job, CancellationToken, Task<JobResult>> run) : IJobHandler
{
    private int _calls;

    public JobKind Kind => kind;

    public int Calls => Volatile.Read(ref _calls);

    public Task<JobResult> HandleAsync(Job job, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        return run(job, cancellationToken);
    }

    public static JobResult Done(Job job) =>
        JobResult.Success(job, [StorageLayout.Negative(job.RunId, 0, 0)], new Dictionary<string, double> { ["reward"] = 0.25 }, 1.5);
}

/// <summary>A temporary LocalFolderStorage, deleted with the test.</summary>
internal sealed class TempStorage : IDisposable
{
    public TempStorage()
    {
        Root = Directory.CreateTempSubdirectory("rpo-worker-tests-").FullName;
        Storage = new LocalFolderStorage(Root);
        Storage.EnsureCreatedAsync().GetAwaiter().GetResult();
    }

    public string Root { get; }

    public LocalFolderStorage Storage { get; }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
