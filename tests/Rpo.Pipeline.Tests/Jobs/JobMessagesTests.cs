using System.Text.Json;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Tests.Jobs;

public sealed class JobMessagesTests
{
    public static TheoryData<string> Kinds => new() { "train", "score-checkpoint", "generate" };

    private static Job Sample(string kind) => kind switch
    {
        "train" => SampleJobs.Train(),
        "score-checkpoint" => SampleJobs.Score(),
        _ => SampleJobs.Generate(),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_job_kind_round_trips_through_its_json(string kind)
    {
        var job = Sample(kind);

        var body = JobMessages.Serialize(job);
        var parsed = JobMessages.ParseJob(body);

        Assert.Equal(job.GetType(), parsed.GetType());
        Assert.Equal(kind, parsed.Kind.ToName());
        Assert.Equal(job.JobId, parsed.JobId);
        Assert.Equal(body.ToString(), JobMessages.Serialize(parsed).ToString());
    }

    [Fact]
    public void Bodies_are_camel_case_with_blob_references_as_strings()
    {
        using var json = JsonDocument.Parse(JobMessages.Serialize(SampleJobs.Score()).ToString());
        var root = json.RootElement;

        Assert.Equal("score-checkpoint", root.GetProperty("kind").GetString());
        Assert.Equal("dog-0123456789abcdef", root.GetProperty("runId").GetString());
        Assert.Equal("work/dog-0123456789abcdef/checkpoints/step-00080/", root.GetProperty("checkpoint").GetString());
        Assert.Equal("subjects/dog/1.jpg", root.GetProperty("referenceImages")[0].GetString());
        Assert.Equal(40, root.GetProperty("options").GetProperty("valEvery").GetInt32());
        Assert.Equal("align", root.GetProperty("options").GetProperty("encoder").GetString());
    }

    [Fact]
    public void Results_round_trip_with_outputs_metrics_and_errors()
    {
        var job = SampleJobs.Score();
        var success = JobResult.Success(job, [StorageLayout.CheckpointScore(job.RunId, 80)], new Dictionary<string, double> { ["reward"] = 0.62 }, 12.5);
        var failure = JobResult.Failure(job, "OutOfMemory", "CUDA out of memory", 3);

        var parsedSuccess = JobMessages.ParseResult(JobMessages.Serialize(success));
        var parsedFailure = JobMessages.ParseResult(JobMessages.Serialize(failure));

        Assert.True(parsedSuccess.Succeeded);
        Assert.Equal(job.JobId, parsedSuccess.JobId);
        Assert.Equal(0.62, parsedSuccess.Metrics["reward"]);
        Assert.Equal(12.5, parsedSuccess.GpuSeconds);
        Assert.Equal(StorageLayout.CheckpointScore(job.RunId, 80), Assert.Single(parsedSuccess.Outputs));
        Assert.Equal(JobStatus.Failed, parsedFailure.Status);
        Assert.Equal(new JobError("OutOfMemory", "CUDA out of memory"), parsedFailure.Error);
        Assert.Contains("\"status\":\"failed\"", JobMessages.Serialize(failure).ToString(), StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> BadJobs => new()
    {
        // body, field named, words of the reason
        { "not json", "$", "not valid JSON" },
        { "[1, 2]", "$", "expected a JSON object" },
        { """{"runId":"dog-0123456789abcdef","index":0}""", "kind", "missing" },
        { """{"kind":"paint","runId":"dog-0123456789abcdef","index":0}""", "kind", "not a job kind" },
        { Edit(SampleJobs.Score(), j => j.Remove("checkpoint")), "checkpoint", "missing" },
        { Edit(SampleJobs.Score(), j => j["checkpoint"] = null), "checkpoint", "null" },
        { Edit(SampleJobs.Score(), j => j["checkpoint"] = "work/r/x.bin"), "checkpoint", "must be a folder" },
        { Edit(SampleJobs.Generate(), j => j["imagesPerPrompt"] = 0), "imagesPerPrompt", "at least 1" },
        { Edit(SampleJobs.Train(), j => j["options"]!["steps"] = 0), "options", "steps must be at least 1" },
        { Edit(SampleJobs.Score(), j => j["checkpoint"] = "nowhere/x"), "checkpoint", "does not start with an area" },
        { Edit(SampleJobs.Score(), j => j["output"] = "work/a/../b.json"), "output", "'..'" },
        { Edit(SampleJobs.Score(), j => j["step"] = "eighty"), "step", "could not be converted" },
        { Edit(SampleJobs.Score(), j => j["runId"] = "dog"), "runId", "not a run id" },
        { Edit(SampleJobs.Score(), j => j["referenceImages"]!.AsArray()[0] = null), "referenceImages[0]", "null" },
        { Edit(SampleJobs.Train(), j => j["negatives"]![0]!["images"]!.AsArray().Add(null)), "negatives[0].images[2]", "null" },
        { Edit(SampleJobs.Score(), j => j["prompts"] = null), "prompts", "null" },
        { Edit(SampleJobs.Score(), j => j["index"] = -1), "index", ">= 0" },
        { Edit(SampleJobs.Score(), j => j["options"]!["encoder"] = "dino"), "options.encoder", "could not be converted" },
        { Edit(SampleJobs.Train(), j => j["negatives"]!.AsArray()[0]!.AsObject().Remove("prompt")), "negatives[0].prompt", "missing" },
    };

    [Theory]
    [MemberData(nameof(BadJobs))]
    public void A_bad_job_body_is_a_parse_error_naming_the_field(string body, string field, string reason)
    {
        var error = Assert.Throws<JobParseException>(() => JobMessages.ParseJob(BinaryData.FromString(body)));

        Assert.Equal(field, error.Field);
        Assert.Contains(reason, error.Reason, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> BadResults => new()
    {
        { Edit(JobResult.Failure(SampleJobs.Generate(), "X", "y"), r => r.Remove("error")), "error" },
        { Edit(JobResult.Success(SampleJobs.Generate(), []), r => r["error"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "X", ["message"] = "y" }), "error" },
        { Edit(JobResult.Success(SampleJobs.Generate(), []), r => r["status"] = "done"), "status" },
        { Edit(JobResult.Success(SampleJobs.Generate(), []), r => r["kind"] = "paint"), "kind" },
        { Edit(JobResult.Success(SampleJobs.Generate(), []), r => r["gpuSeconds"] = -1), "gpuSeconds" },
        { Edit(JobResult.Success(SampleJobs.Generate(), []), r => r.Remove("outputs")), "outputs" },
    };

    [Theory]
    [MemberData(nameof(BadResults))]
    public void A_bad_result_body_is_a_parse_error_naming_the_field(string body, string field)
    {
        var error = Assert.Throws<JobParseException>(() => JobMessages.ParseResult(BinaryData.FromString(body)));

        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void Unknown_fields_from_a_newer_sender_are_ignored()
    {
        var body = Edit(SampleJobs.Generate(), j => j["futureKnob"] = 3);

        Assert.IsType<GenerateJob>(JobMessages.ParseJob(BinaryData.FromString(body)));
    }

    [Fact]
    public void Optional_fields_take_their_defaults()
    {
        var body = Edit(SampleJobs.Generate(), j =>
        {
            j.Remove("inferenceSteps");
            j.Remove("guidanceScale");
        });

        var job = Assert.IsType<GenerateJob>(JobMessages.ParseJob(BinaryData.FromString(body)));

        Assert.Equal(50, job.InferenceSteps);
        Assert.Equal(7.5, job.GuidanceScale);
    }

    private static string Edit(Job job, Action<System.Text.Json.Nodes.JsonObject> edit)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(JobMessages.Serialize(job).ToString())!.AsObject();
        edit(node);
        return node.ToJsonString();
    }

    private static string Edit(JobResult result, Action<System.Text.Json.Nodes.JsonObject> edit)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(JobMessages.Serialize(result).ToString())!.AsObject();
        edit(node);
        return node.ToJsonString();
    }
}
