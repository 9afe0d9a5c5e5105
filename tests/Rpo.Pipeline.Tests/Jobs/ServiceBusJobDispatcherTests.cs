using System.Collections.Concurrent;
using Azure.Messaging.ServiceBus;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Tests.Jobs;

/// <summary>
/// Service Bus is an Azure-only service with no local emulator here: its client and senders are the SDK's mockable
/// types, subclassed to capture what would be sent, and received messages are built with ServiceBusModelFactory.
/// </summary>
public sealed class ServiceBusJobDispatcherTests
{
    [Fact]
    public async Task Azure_only_service_mocked_each_job_goes_to_its_kinds_queue_with_the_envelope()
    {
        var client = new CapturingClient();
        await using (var dispatcher = new ServiceBusJobDispatcher(client))
        {
            await dispatcher.DispatchAsync(SampleJobs.Train());
            await dispatcher.DispatchAsync(SampleJobs.Score(index: 2, step: 120));
            await dispatcher.DispatchAsync(SampleJobs.Generate(index: 3));
        }

        var train = Assert.Single(client.Sent("jobs-train"));
        var score = Assert.Single(client.Sent("jobs-score-checkpoint"));
        var generate = Assert.Single(client.Sent("jobs-generate"));
        Assert.Equal("dog-0123456789abcdef:train:0", train.MessageId);
        Assert.Equal("dog-0123456789abcdef:score-checkpoint:2", score.MessageId);
        Assert.Equal("dog-0123456789abcdef:generate:3", generate.MessageId);
        foreach (var (message, kind) in new[] { (train, "train"), (score, "score-checkpoint"), (generate, "generate") })
        {
            Assert.Equal("dog-0123456789abcdef", message.CorrelationId);
            Assert.Equal(kind, message.Subject);
            Assert.Equal("application/json", message.ContentType);
            Assert.Equal(1, message.ApplicationProperties["schemaVersion"]);
        }

        Assert.All(client.Senders.Values, s => Assert.True(s.Disposed));
        var parsed = Assert.IsType<ScoreCheckpointJob>(ServiceBusJobMessages.ParseJob(Received(score)));
        Assert.Equal(120, parsed.Step);
        Assert.Equal(StorageLayout.Checkpoint(SampleJobs.Run, 120), parsed.Checkpoint);
    }

    [Fact]
    public async Task Azure_only_service_mocked_a_job_sent_twice_has_one_message_id_for_duplicate_detection()
    {
        var client = new CapturingClient();
        await using var dispatcher = new ServiceBusJobDispatcher(client, new ServiceBusQueueNames("t", "s", "g", "r"));

        await dispatcher.DispatchAsync(SampleJobs.Train());
        await dispatcher.DispatchAsync(SampleJobs.Train());

        var sent = client.Sent("t");
        Assert.Equal(2, sent.Count);
        Assert.Equal(sent[0].MessageId, sent[1].MessageId);
    }

    [Fact]
    public async Task Azure_only_service_mocked_results_go_to_the_results_queue_and_parse_back()
    {
        var client = new CapturingClient();
        var job = SampleJobs.Score();
        await using (var sink = new ServiceBusJobResultSink(client))
        {
            await sink.OnJobCompletedAsync(JobResult.Success(job, [job.Output], new Dictionary<string, double> { ["reward"] = 0.7 }, 30), CancellationToken.None);
            await sink.OnJobCompletedAsync(JobResult.Failure(SampleJobs.Generate(), "ModelNotFound", "no such model"), CancellationToken.None);
        }

        var sent = client.Sent("job-results");
        Assert.Equal(2, sent.Count);
        Assert.Equal("succeeded", sent[0].ApplicationProperties["status"]);
        Assert.Equal("failed", sent[1].ApplicationProperties["status"]);
        var result = ServiceBusJobMessages.ParseResult(Received(sent[0]));
        Assert.Equal(job.JobId, result.JobId);
        Assert.Equal(0.7, result.Metrics["reward"]);
        Assert.Equal("no such model", ServiceBusJobMessages.ParseResult(Received(sent[1])).Error!.Message);
    }

    public static TheoryData<string, string> BrokenEnvelopes => new()
    {
        { "contentType", "message.contentType" },
        { "noSchema", "message.applicationProperties.schemaVersion" },
        { "newerSchema", "message.applicationProperties.schemaVersion" },
        { "textSchema", "message.applicationProperties.schemaVersion" },
        { "subject", "message.subject" },
        { "messageId", "message.messageId" },
        { "correlationId", "message.correlationId" },
        { "body", "checkpoint" },
    };

    [Theory]
    [MemberData(nameof(BrokenEnvelopes))]
    public void Azure_only_service_mocked_a_broken_message_is_a_parse_error_naming_the_field(string broken, string field)
    {
        var message = ServiceBusJobMessages.Create(SampleJobs.Score());
        switch (broken)
        {
            case "contentType": message.ContentType = "text/plain"; break;
            case "noSchema": message.ApplicationProperties.Remove("schemaVersion"); break;
            case "newerSchema": message.ApplicationProperties["schemaVersion"] = 2; break;
            case "textSchema": message.ApplicationProperties["schemaVersion"] = "one"; break;
            case "subject": message.Subject = "train"; break;
            case "messageId": message.MessageId = "other"; break;
            case "correlationId": message.CorrelationId = "cat-0123456789abcdef"; break;
            case "body": message.Body = BinaryData.FromString(message.Body.ToString().Replace("\"checkpoint\":", "\"checkpointX\":", StringComparison.Ordinal)); break;
        }

        var error = Assert.Throws<JobParseException>(() => ServiceBusJobMessages.ParseJob(Received(message)));

        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void Azure_only_service_mocked_a_charset_in_the_content_type_is_accepted()
    {
        var message = ServiceBusJobMessages.Create(SampleJobs.Generate());
        message.ContentType = "application/json; charset=utf-8";

        Assert.IsType<GenerateJob>(ServiceBusJobMessages.ParseJob(Received(message)));
    }

    private static ServiceBusReceivedMessage Received(ServiceBusMessage sent) =>
        ServiceBusModelFactory.ServiceBusReceivedMessage(
            body: sent.Body,
            messageId: sent.MessageId,
            correlationId: sent.CorrelationId,
            subject: sent.Subject,
            contentType: sent.ContentType,
            properties: new Dictionary<string, object>(sent.ApplicationProperties),
            deliveryCount: 1);
}
