using System.Collections.Concurrent;
using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rpo.Functions.Functions;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;
using Rpo.Pipeline.Subjects;
using Rpo.Pipeline.Tests.Storage;

namespace Rpo.Functions.Tests;

/// <summary>
/// The Functions app's functions around the in-process Durable Task host (real gRPC sidecar, real replays) and
/// Azurite storage. The host runs the app's own orchestrator and activity functions (registered by their function
/// names, each activity function class built from the app's services per call, as the Functions worker does), so
/// what runs is what the app deploys; only the trigger plumbing of the Functions host is left out.
/// </summary>
internal sealed class FunctionsHarness : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private readonly ServiceProvider _services;
    private readonly StorageContainerNames _containers;
    private DurableTaskTestHost? _host;

    private FunctionsHarness(BlobContainerStorage store, StorageContainerNames containers, Func<IBlobStorage, Func<DurableTaskClient>, IJobDispatcher> createDispatcher)
    {
        Store = store;
        _containers = containers;
        var dispatcher = createDispatcher(store, () => Client);
        Dispatcher = dispatcher;
        var services = new ServiceCollection().AddLogging(l => l.AddProvider(Log));
        services.AddSingleton<IBlobStorage>(store);
        services.AddSingleton(dispatcher);
        RunActivityFunctions.AddActivities(services);
        _services = services.BuildServiceProvider();
    }

    public BlobContainerStorage Store { get; }

    public IJobDispatcher Dispatcher { get; }

    public LogCollector Log { get; } = new();

    public DurableTaskClient Client => _host?.Client ?? throw new InvalidOperationException("The host is not started.");

    public SubjectBlobTrigger BlobTrigger => Create<SubjectBlobTrigger>();

    public JobResultsQueueTrigger QueueTrigger => Create<JobResultsQueueTrigger>();

    public RunHttpFunctions Runs => Create<RunHttpFunctions>();

    public SubjectHttpFunctions Subjects => Create<SubjectHttpFunctions>();

    /// <summary>A harness whose jobs go nowhere: they are recorded, as a Service Bus send would leave them queued.</summary>
    public static Task<FunctionsHarness> StartWithRecordedJobsAsync() => StartAsync((_, _) => new RecordingJobDispatcher());

    /// <summary>A harness with the dispatcher given, built once the store exists (its client is there once started).</summary>
    public static async Task<FunctionsHarness> StartAsync(Func<IBlobStorage, Func<DurableTaskClient>, IJobDispatcher> dispatcher)
    {
        var containers = Azurite.UniqueContainers();
        var store = await Azurite.CreateStoreAsync(containers);
        var harness = new FunctionsHarness(store, containers, dispatcher);
        await harness.StartHostAsync();
        return harness;
    }

    public T Create<T>() => ActivatorUtilities.CreateInstance<T>(_services);

    /// <summary>Writes upload files and fires the blob trigger for each, in order, as Event Grid would.</summary>
    public async Task UploadAsync(string subjectId, params (string Name, byte[] Content)[] files)
    {
        foreach (var (name, content) in files)
        {
            var blob = StorageLayout.SubjectFile(subjectId, name);
            await Store.WriteAsync(blob, content);
            await TriggerAsync(subjectId, name);
        }
    }

    public Task TriggerAsync(string subjectId, string name)
    {
        var client = new BlobContainerClient(new Uri($"{Azurite.BlobEndpoint}/{_containers.Subjects}")).GetBlobClient($"{subjectId}/{name}");
        return BlobTrigger.RunAsync(client, subjectId, name, Client, CancellationToken.None);
    }

    /// <summary>The run id of the subject's uploads as they are now.</summary>
    public async Task<RunId> CurrentRunIdAsync(string subjectId)
    {
        var json = await Store.TryReadAsync(StorageLayout.SubjectJson(subjectId));
        var manifest = json is null ? null : SubjectValidator.ReadManifest(json.Content);
        return RunId.For(subjectId, await RunInputs.ReadAsync(Store, subjectId), manifest?.Options ?? RunOptions.Default);
    }

    public async Task<OrchestrationMetadata> WaitForCompletionAsync(RunId runId)
    {
        using var cts = new CancellationTokenSource(Patience);
        return await Client.WaitForInstanceCompletionAsync(runId.Value, getInputsAndOutputs: true, cts.Token);
    }

    /// <summary>Waits (bounded) until the run's status reaches a stage.</summary>
    public async Task<RunStatus> WaitForStageAsync(RunId runId, RunStage stage)
    {
        using var cts = new CancellationTokenSource(Patience);
        while (true)
        {
            var instance = await Client.GetInstanceAsync(runId.Value, getInputsAndOutputs: true, cts.Token);
            if (instance?.SerializedCustomStatus is not null && instance.ReadCustomStatusAs<RunStatus>() is { } status && status.Stages.Contains(stage))
            {
                return status;
            }

            if (instance is { IsCompleted: true })
            {
                throw new InvalidOperationException($"Run {runId} ended {instance.RuntimeStatus} before {stage}: {instance.FailureDetails?.ErrorType}: {instance.FailureDetails?.ErrorMessage} {instance.FailureDetails?.StackTrace}");
            }

            await Task.Delay(50, cts.Token);
        }
    }

    public static HttpRequest Request(string method, string path, string? body = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Scheme = "https";
        context.Request.Host = new HostString("rpo-func.azurewebsites.net");
        var query = path.IndexOf('?', StringComparison.Ordinal);
        context.Request.Path = query < 0 ? path : path[..query];
        if (query >= 0)
        {
            context.Request.QueryString = new QueryString(path[query..]);
        }

        if (body is not null)
        {
            context.Request.ContentType = "application/json";
            context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        }

        return context.Request;
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (Dispatcher is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }

        await _services.DisposeAsync();
        var service = Azurite.ServiceClient();
        foreach (var container in new[] { _containers.Subjects, _containers.Work, _containers.Models })
        {
            await service.GetBlobContainerClient(container).DeleteIfExistsAsync();
        }
    }

    private async Task StartHostAsync()
    {
        _host = await DurableTaskTestHost.StartAsync(
            registry =>
            {
                // Typed input, so GetInput<RunRequest>() finds a RunRequest as under the Functions host.
                registry.AddOrchestratorFunc<RunRequest, RunOutcome>(nameof(RpoRunOrchestrator), (context, _) => RunOrchestratorFunction.RunAsync(context));
                Activity<ValidateSubjectInput, SubjectValidationResult>(registry, nameof(ValidateSubjectActivity), (f, input, id) => f.ValidateSubjectAsync(input, id));
                Activity<GenerateJob, string>(registry, nameof(DispatchGenerateJobActivity), (f, input, id) => f.DispatchGenerateJobAsync(input, id));
                Activity<TrainJob, string>(registry, nameof(DispatchTrainJobActivity), (f, input, id) => f.DispatchTrainJobAsync(input, id));
                Activity<ScoreCheckpointJob, string>(registry, nameof(DispatchScoreCheckpointJobActivity), (f, input, id) => f.DispatchScoreCheckpointJobAsync(input, id));
                Activity<PublishModelInput, PublishModelOutput>(registry, nameof(PublishModelActivity), (f, input, id) => f.PublishModelAsync(input, id));
                Activity<CancelMarkerInput, string>(registry, nameof(WriteCancelMarkerActivity), (f, input, id) => f.WriteCancelMarkerAsync(input, id));
            },
            new DurableTaskTestHostOptions { ConfigureServices = services => services.AddLogging() });
    }

    private void Activity<TIn, TOut>(DurableTaskRegistry registry, string name, Func<RunActivityFunctions, TIn, string, Task<TOut>> call) =>
        registry.AddActivityFunc<TIn, TOut>(name, (context, input) => call(Create<RunActivityFunctions>(), input, context.InstanceId));
}

/// <summary>Stands in for the Service Bus sender (Azure only): keeps every job sent, runs none.</summary>
internal sealed class RecordingJobDispatcher : IJobDispatcher
{
    public ConcurrentQueue<Job> Sent { get; } = new();

    public Task DispatchAsync(Job job, CancellationToken cancellationToken = default)
    {
        Sent.Enqueue(JobMessages.ParseJob(JobMessages.Serialize(job)));
        return Task.CompletedTask;
    }
}

/// <summary>Keeps the app's log lines, to check what a dropped message said.</summary>
internal sealed class LogCollector : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, string Category, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCollector owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((logLevel, category, formatter(state, exception)));
    }
}
