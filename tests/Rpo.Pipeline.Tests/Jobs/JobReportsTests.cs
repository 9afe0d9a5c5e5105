using System.Text.Json;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Tests.Jobs;

public sealed class JobReportsTests
{
    private static readonly LabelsDrawn Labels = new(SampleJobs.Run, StorageLayout.WorkFile(SampleJobs.Run, "labels.json"), 3.5);
    private static readonly CheckpointSaved Saved = new(SampleJobs.Run, 80, 400, 0.125, StorageLayout.Checkpoint(SampleJobs.Run, 80), 42);

    private static JobResult Result() => JobResult.Success(SampleJobs.Score(), [StorageLayout.CheckpointScore(SampleJobs.Run, 80)], new Dictionary<string, double> { ["reward"] = 0.62 }, 12.5);

    [Fact]
    public void Each_report_type_round_trips_through_one_envelope_and_names_its_event()
    {
        var result = Assert.IsType<JobResultReport>(JobReports.Parse(JobReports.Serialize(Result())));
        var labels = Assert.IsType<LabelsDrawnReport>(JobReports.Parse(JobReports.Serialize(Labels)));
        var saved = Assert.IsType<CheckpointSavedReport>(JobReports.Parse(JobReports.Serialize(Saved)));

        Assert.Equal(Result().JobId, result.Result.JobId);
        Assert.Equal(0.62, result.Result.Metrics["reward"]);
        Assert.Equal("score-checkpoint-1", result.EventName);
        Assert.Equal(Labels, labels.Report);
        Assert.Equal(RunEvents.LabelsDrawn, labels.EventName);
        Assert.Equal(Saved, saved.Report);
        Assert.Equal("checkpoint-80", saved.EventName);
        Assert.All(new JobReport[] { result, labels, saved }, r => Assert.Equal(SampleJobs.Run, r.RunId));
    }

    [Fact]
    public void The_envelope_is_a_type_and_the_reports_own_json_as_body()
    {
        using var json = JsonDocument.Parse(JobReports.Serialize(Saved).ToString());

        Assert.Equal("checkpoint-saved", json.RootElement.GetProperty("type").GetString());
        var body = json.RootElement.GetProperty("body");
        Assert.Equal("dog-0123456789abcdef", body.GetProperty("runId").GetString());
        Assert.Equal(80, body.GetProperty("step").GetInt32());
        Assert.Equal("work/dog-0123456789abcdef/checkpoints/step-00080/", body.GetProperty("checkpoint").GetString());
        Assert.Equal(JobMessages.Serialize(Result()).ToString(), JsonDocument.Parse(JobReports.Serialize(Result()).ToString()).RootElement.GetProperty("body").GetRawText());
    }

    public static TheoryData<string, string> Broken => new()
    {
        { "not json", "$" },
        { "[1]", "$" },
        { """{ "body": {} }""", "type" },
        { """{ "type": "train-finished", "body": {} }""", "type" },
        { """{ "type": 3, "body": {} }""", "type" },
        { """{ "type": "labels-drawn" }""", "body" },
        { """{ "type": "labels-drawn", "body": { "runId": "dog-0123456789abcdef", "gpuSeconds": 1 } }""", "body.labels" },
        { """{ "type": "labels-drawn", "body": { "runId": "dog-0123456789abcdef", "labels": "work/x/", "gpuSeconds": 1 } }""", "body.labels" },
        { """{ "type": "checkpoint-saved", "body": { "runId": "dog-0123456789abcdef", "step": 0, "totalSteps": 400, "loss": 0.1, "checkpoint": "work/x/", "gpuSeconds": 1 } }""", "body.step" },
        { """{ "type": "checkpoint-saved", "body": { "runId": "dog-0123456789abcdef", "step": 40, "totalSteps": 400, "loss": "0.1", "checkpoint": "work/x/", "gpuSeconds": 1 } }""", "body.loss" },
        { """{ "type": "checkpoint-saved", "body": { "runId": "dog-0123456789abcdef", "step": 40, "totalSteps": 400, "loss": 0.1, "checkpoint": "work/x/c.bin", "gpuSeconds": 1 } }""", "body.checkpoint" },
        { """{ "type": "job-result", "body": { "runId": "dog-0123456789abcdef", "kind": "generate", "index": 0, "status": "failed", "outputs": [], "metrics": {}, "gpuSeconds": 0 } }""", "body.error" },
        { """{ "type": "job-result", "body": { "runId": "not a run", "kind": "generate", "index": 0, "status": "succeeded", "outputs": [], "metrics": {}, "gpuSeconds": 0 } }""", "body.runId" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void A_broken_message_is_refused_naming_the_field(string message, string field)
    {
        var e = Assert.Throws<JobParseException>(() => JobReports.Parse(BinaryData.FromString(message)));

        Assert.Equal(field, e.Field);
    }

    [Fact]
    public async Task Delivery_hands_each_report_to_the_sink_of_its_kind()
    {
        var sink = new RecordingSink();

        foreach (var message in new[] { JobReports.Serialize(Labels), JobReports.Serialize(Saved), JobReports.Serialize(Result()) })
        {
            await JobReports.Parse(message).DeliverAsync(sink, sink, CancellationToken.None);
        }

        Assert.Equal(["labels", "checkpoint 80", "result " + Result().JobId], sink.Calls);
    }

    private sealed class RecordingSink : IJobResultSink, ITrainingProgressSink
    {
        public List<string> Calls { get; } = [];

        public Task OnJobCompletedAsync(JobResult result, CancellationToken cancellationToken)
        {
            Calls.Add("result " + result.JobId);
            return Task.CompletedTask;
        }

        public Task OnLabelsDrawnAsync(LabelsDrawn report, CancellationToken cancellationToken)
        {
            Calls.Add("labels");
            return Task.CompletedTask;
        }

        public Task OnCheckpointSavedAsync(CheckpointSaved report, CancellationToken cancellationToken)
        {
            Calls.Add($"checkpoint {report.Step}");
            return Task.CompletedTask;
        }
    }
}
