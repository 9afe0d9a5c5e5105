using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Storage;

namespace Rpo.Worker.Tests;

/// <summary>The parts that only exist against Azure, checked with the SDK's types and a subclassed client.</summary>
public sealed class AzureGlueTests
{
    private static WorkerSettings Settings(string lockMinutes) => WorkerSettings.Read(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["RpoServiceBus:fullyQualifiedNamespace"] = "rpo-bus.servicebus.windows.net",
        ["RpoStorage:blobServiceUri"] = "https://rpostore.blob.core.windows.net/",
        ["RpoStorage:queueServiceUri"] = "https://rpostore.queue.core.windows.net/",
        ["RpoWorker:MaxLockRenewalMinutes"] = lockMinutes,
    }).Build());

    [Fact]
    public void Azure_only_service_mocked_processors_take_one_message_at_a_time_never_auto_complete_and_renew_for_hours()
    {
        var options = ServiceBusJobWorker.ProcessorOptions(Settings("480"));

        Assert.Equal(1, options.MaxConcurrentCalls);
        Assert.False(options.AutoCompleteMessages);
        Assert.Equal(TimeSpan.FromHours(8), options.MaxAutoLockRenewalDuration);
        Assert.Equal(0, options.PrefetchCount);
        Assert.Equal(Azure.Messaging.ServiceBus.ServiceBusReceiveMode.PeekLock, options.ReceiveMode);
    }

    [Fact]
    public async Task Azure_only_service_mocked_results_and_train_progress_go_to_the_storage_queue_as_report_envelopes()
    {
        var queue = new CapturingQueue();
        var sink = new StorageQueueJobResultSink(queue);
        var result = TestHandler.Done(SampleJobs.Generate(index: 7));
        var runId = result.RunId;
        var labels = new LabelsDrawn(runId, StorageLayout.WorkFile(runId, "labels.json"), 3);
        var checkpoint = new CheckpointSaved(runId, 40, 400, 0.25, StorageLayout.Checkpoint(runId, 40), 13);

        await sink.OnJobCompletedAsync(result, CancellationToken.None);
        await sink.OnLabelsDrawnAsync(labels, CancellationToken.None);
        await sink.OnCheckpointSavedAsync(checkpoint, CancellationToken.None);

        Assert.Equal(3, queue.Sent.Count);
        var sentResult = Assert.IsType<JobResultReport>(JobReports.Parse(queue.Sent[0])).Result;
        Assert.Equal(result.JobId, sentResult.JobId);
        Assert.Equal(result.Outputs, sentResult.Outputs);
        Assert.Equal(labels, Assert.IsType<LabelsDrawnReport>(JobReports.Parse(queue.Sent[1])).Report);
        Assert.Equal(checkpoint, Assert.IsType<CheckpointSavedReport>(JobReports.Parse(queue.Sent[2])).Report);
    }

    [Fact]
    public void Azure_only_service_mocked_the_worker_registers_one_queue_sink_for_results_and_train_progress()
    {
        using var services = new ServiceCollection().AddLogging().AddRpoWorker(Settings("60")).BuildServiceProvider();

        var results = services.GetRequiredService<IJobResultSink>();
        var progress = services.GetRequiredService<ITrainingProgressSink>();

        Assert.IsType<StorageQueueJobResultSink>(results);
        Assert.Same(results, progress);
    }

    [Fact]
    public async Task Azure_only_service_mocked_results_are_base64_on_the_wire_like_the_functions_queue_trigger_expects()
    {
        var handler = new CapturingHandler();
        using var http = new HttpClient(handler);
        var client = StorageQueueJobResultSink.CreateClient(
            new Uri("https://rpostore.queue.core.windows.net/"), "job-results", new FixedToken(), new Azure.Core.Pipeline.HttpClientTransport(http));
        var result = TestHandler.Done(SampleJobs.Generate(index: 7));

        await new StorageQueueJobResultSink(client).OnJobCompletedAsync(result, CancellationToken.None);

        Assert.Equal(HttpMethod.Post, handler.Method);
        Assert.Equal("/job-results/messages", handler.Uri?.AbsolutePath);
        Assert.Equal("Bearer", handler.Authorization);
        var text = System.Xml.Linq.XElement.Parse(handler.Body!).Element("MessageText")!.Value;
        var sent = Assert.IsType<JobResultReport>(JobReports.Parse(BinaryData.FromBytes(Convert.FromBase64String(text))));
        Assert.Equal(result.JobId, sent.Result.JobId);
    }

    private sealed class FixedToken : Azure.Core.TokenCredential
    {
        public override Azure.Core.AccessToken GetToken(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new("token", DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<Azure.Core.AccessToken> GetTokenAsync(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    /// <summary>Answers Put Message like the service does (201 + the receipt XML) and keeps the request.</summary>
    private sealed class CapturingHandler : HttpMessageHandler
    {
        public HttpMethod? Method { get; private set; }

        public Uri? Uri { get; private set; }

        public string? Authorization { get; private set; }

        public string? Body { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Method = request.Method;
            Uri = request.RequestUri;
            Authorization = request.Headers.Authorization?.Scheme;
            Body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
            const string Receipt = "<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessagesList><QueueMessage><MessageId>1</MessageId>"
                + "<InsertionTime>Thu, 26 Nov 2026 07:00:00 GMT</InsertionTime><ExpirationTime>Thu, 03 Dec 2026 07:00:00 GMT</ExpirationTime>"
                + "<PopReceipt>AgAAAA==</PopReceipt><TimeNextVisible>Thu, 26 Nov 2026 07:00:00 GMT</TimeNextVisible></QueueMessage></QueueMessagesList>";
            return new HttpResponseMessage(System.Net.HttpStatusCode.Created) { Content = new StringContent(Receipt, System.Text.Encoding.UTF8, "application/xml") };
        }
    }

    private sealed class CapturingQueue : QueueClient
    {
        public List<BinaryData> Sent { get; } = [];

        public override Task<Response<SendReceipt>> SendMessageAsync(BinaryData message, TimeSpan? visibilityTimeout = null, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default)
        {
            Sent.Add(message);
            var receipt = QueuesModelFactory.SendReceipt("1", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "pop", DateTimeOffset.UnixEpoch);
            return Task.FromResult(Response.FromValue(receipt, null!));
        }
    }
}
