using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;
using Rpo.Pipeline.Tests.Orchestration;
using Rpo.Pipeline.Tests.Storage;
using Rpo.Worker;
using static Rpo.Functions.Tests.RunHttpFunctionsTests;
using static Rpo.Pipeline.Tests.Subjects.SubjectUploads;

namespace Rpo.Functions.Tests;

/// <summary>The job-results queue trigger, with messages received from Azurite's queue service as the host would hand them over.</summary>
public sealed class JobResultsQueueTriggerTests
{
    /// <summary>A queue of its own on Azurite, written the way the worker writes it (Base64, the trigger's default).</summary>
    private static async Task<QueueClient> CreateQueueAsync()
    {
        var queue = new QueueClient(Azurite.ConnectionString, "t" + Guid.NewGuid().ToString("N")[..16] + "-job-results", new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        await queue.CreateAsync();
        return queue;
    }

    private static async Task<QueueMessage> ReceiveOneAsync(QueueClient queue)
    {
        var messages = (await queue.ReceiveMessagesAsync(1)).Value;
        return Assert.Single(messages);
    }

    [Fact]
    public async Task Service_bus_mocked_an_unreadable_message_is_logged_naming_the_field_and_completed_not_retried()
    {
        await using var harness = await FunctionsHarness.StartWithRecordedJobsAsync();
        var queue = await CreateQueueAsync();
        try
        {
            await queue.SendMessageAsync(BinaryData.FromString("""{ "type": "train-finished", "body": {} }"""));
            var message = await ReceiveOneAsync(queue);

            await harness.QueueTrigger.RunAsync(message, harness.Client, CancellationToken.None);

            var error = Assert.Single(harness.Log.Entries, e => e.Level == LogLevel.Error);
            Assert.Contains("field 'type'", error.Message, StringComparison.Ordinal);
            Assert.Contains(message.MessageId, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            await queue.DeleteAsync();
        }
    }

    [Fact]
    public async Task Service_bus_mocked_a_report_for_a_run_that_does_not_exist_is_dropped_with_a_warning()
    {
        await using var harness = await FunctionsHarness.StartWithRecordedJobsAsync();
        var queue = await CreateQueueAsync();
        try
        {
            var runId = RunId.Parse("rex-00000000000000a1");
            await new StorageQueueJobResultSink(queue).OnLabelsDrawnAsync(new LabelsDrawn(runId, StorageLayout.WorkFile(runId, "labels.json"), 1), CancellationToken.None);

            await harness.QueueTrigger.RunAsync(await ReceiveOneAsync(queue), harness.Client, CancellationToken.None);

            Assert.Contains(harness.Log.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("rex-00000000000000a1", StringComparison.Ordinal) && e.Message.Contains("does not exist", StringComparison.Ordinal));
        }
        finally
        {
            await queue.DeleteAsync();
        }
    }

    /// <summary>
    /// Upload → blob trigger → the app's orchestrator and activity functions → jobs (run in-process by scripted GPU
    /// handlers in place of Service Bus and the worker's models) → the worker's queue sink → Azurite's job-results queue
    /// → the queue trigger → the run's events → publish → the models API shows the version.
    /// </summary>
    [Fact]
    public async Task Service_bus_replaced_by_in_process_dispatch_a_run_completes_with_every_report_over_the_job_results_queue()
    {
        var queue = await CreateQueueAsync();
        var sink = new StorageQueueJobResultSink(queue);
        ScriptedGpuJobs? gpu = null;
        await using var harness = await FunctionsHarness.StartAsync((store, _) =>
        {
            gpu = new ScriptedGpuJobs(store, () => sink, new Dictionary<int, double> { [10] = 0.42, [20] = 0.61 });
            return new InProcessJobDispatcher(gpu.Handlers, sink, maxConcurrency: 2);
        });
        using var stop = new CancellationTokenSource();
        var delivered = new List<string>();
        var pump = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var messages = (await queue.ReceiveMessagesAsync(16, cancellationToken: stop.Token)).Value;
                foreach (var message in messages)
                {
                    lock (delivered)
                    {
                        delivered.Add(JobReports.Parse(message.Body).Type);
                    }

                    await harness.QueueTrigger.RunAsync(message, harness.Client, stop.Token);

                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, stop.Token);
                }

                if (messages.Length == 0)
                {
                    await Task.Delay(50, stop.Token);
                }
            }
        });
        try
        {
            await harness.UploadAsync("rex", ("a.png", Png(256, 256, 1)), ("b.png", Png(300, 256, 2)), ("subject.json", Json(SubjectBlobTriggerTests.SubjectJson)));
            var runId = await harness.CurrentRunIdAsync("rex");

            var metadata = await harness.WaitForCompletionAsync(runId);

            Assert.True(metadata.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{metadata.RuntimeStatus}: {metadata.FailureDetails?.ErrorMessage}");
            var outcome = metadata.ReadOutputAs<RunOutcome>()!;
            Assert.Equal(RunResultKind.Succeeded, outcome.Result);
            Assert.Equal(20, outcome.BestStep);
            Assert.Equal([10, 20], outcome.Checkpoints.Select(c => c.Step));
            lock (delivered)
            {
                // 8 negatives + the train job + 2 score jobs, and the train job's labels and checkpoint reports.
                Assert.Equal(11, delivered.Count(t => t == JobResultReport.TypeName));
                Assert.Equal(1, delivered.Count(t => t == LabelsDrawnReport.TypeName));
                Assert.Equal(2, delivered.Count(t => t == CheckpointSavedReport.TypeName));
            }

            var (status, models) = Read(await harness.Subjects.GetModelsAsync(FunctionsHarness.Request("GET", "/api/subjects/rex/models"), "rex"));
            Assert.Equal(200, status);
            Assert.Equal(StorageLayout.VersionFor(runId), models.GetProperty("latest").GetProperty("version").GetString());
            Assert.Equal(0.61, Assert.Single(models.GetProperty("versions").EnumerateArray()).GetProperty("reward").GetDouble());
            Assert.NotNull(gpu);
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await pump;
            }
            catch (OperationCanceledException)
            {
            }

            await queue.DeleteAsync();
        }
    }
}
