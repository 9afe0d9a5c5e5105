using System.Text;
using Rpo.Functions.Functions;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;
using static Rpo.Functions.Tests.RunHttpFunctionsTests;

namespace Rpo.Functions.Tests;

/// <summary>GET /api/subjects/{subjectId}/models and POST /api/subjects/{subjectId}/generate, called with real HttpRequests.</summary>
public sealed class SubjectHttpFunctionsTests
{
    private static readonly RunOptions Options = RunOptions.Default with { Steps = 20, ValEvery = 10, BaseModel = "fixtures/sd-pipeline-tiny", SampleSteps = 3, GuidanceScale = 5 };

    /// <summary>Publishes a version through the pipeline's publisher, as the run's publish activity does.</summary>
    private static async Task<ModelManifest> PublishAsync(IBlobStorage store, string subjectId, string hash, double best)
    {
        var runId = RunId.Parse($"{subjectId}-{hash}");
        var manifest = new ModelManifest(
            subjectId,
            StorageLayout.VersionFor(runId),
            runId,
            Options,
            [new CheckpointReward(10, best - 0.1), new CheckpointReward(20, best)],
            20,
            new Dictionary<string, double> { ["reward"] = best, ["gpuSeconds"] = 60 });
        var result = await new ModelPublisher(store).PublishAsync(manifest, [PublishFile.FromBytes("unet/config.json", Encoding.UTF8.GetBytes("{}"))]);
        Assert.True(result.Succeeded, result.Outcome.ToString());
        return manifest;
    }

    [Fact]
    public async Task Models_lists_every_published_version_with_its_rpo_json_summary_and_marks_the_latest()
    {
        await using var harness = await FunctionsHarness.StartWithRecordedJobsAsync();
        var first = await PublishAsync(harness.Store, "rex", "00000000000000a1", 0.6);
        var second = await PublishAsync(harness.Store, "rex", "00000000000000b2", 0.7);

        var (status, body) = Read(await harness.Subjects.GetModelsAsync(FunctionsHarness.Request("GET", "/api/subjects/rex/models"), "rex"));
        var (none, noneBody) = Read(await harness.Subjects.GetModelsAsync(FunctionsHarness.Request("GET", "/api/subjects/fido/models"), "fido"));
        var (bad, _) = Read(await harness.Subjects.GetModelsAsync(FunctionsHarness.Request("GET", "/api/subjects/-x/models"), "-x"));

        Assert.Equal(200, status);
        Assert.Equal(second.Version, body.GetProperty("latest").GetProperty("version").GetString());
        Assert.Equal(first.Version, body.GetProperty("latest").GetProperty("previousVersion").GetString());
        var versions = body.GetProperty("versions").EnumerateArray().ToList();
        Assert.Equal([first.Version, second.Version], versions.Select(v => v.GetProperty("version").GetString()));
        Assert.Equal([false, true], versions.Select(v => v.GetProperty("latest").GetBoolean()));
        Assert.Equal(0.7, versions[1].GetProperty("reward").GetDouble());
        Assert.Equal(20, versions[1].GetProperty("selectedStep").GetInt32());
        Assert.Equal(2, versions[1].GetProperty("checkpoints").GetInt32());
        Assert.Equal("fixtures/sd-pipeline-tiny", versions[1].GetProperty("baseModel").GetString());
        Assert.Equal($"models/rex/{second.Version}/", versions[1].GetProperty("folder").GetString());
        Assert.Equal(200, none);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, noneBody.GetProperty("latest").ValueKind);
        Assert.Empty(noneBody.GetProperty("versions").EnumerateArray());
        Assert.Equal(400, bad);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{ "imagesPerPrompt": 2 }""")]
    [InlineData("""{ "prompts": ["a sks dog"], "prompt": "typo" }""")]
    [InlineData("""{ "prompts": [] }""")]
    [InlineData("""{ "prompts": ["a sks dog"], "imagesPerPrompt": 0 }""")]
    [InlineData("""{ "prompts": ["a sks dog"], "seed": "7" }""")]
    public async Task Service_bus_mocked_generate_refuses_a_bad_body_with_400_and_queues_nothing(string body)
    {
        await using var harness = await FunctionsHarness.StartWithRecordedJobsAsync();
        await PublishAsync(harness.Store, "rex", "00000000000000a1", 0.6);

        var (status, error) = Read(await harness.Subjects.GenerateAsync(FunctionsHarness.Request("POST", "/api/subjects/rex/generate", body), "rex"));

        Assert.Equal(400, status);
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("error").GetString()));
        Assert.Empty(((RecordingJobDispatcher)harness.Dispatcher).Sent);
    }

    [Fact]
    public async Task Service_bus_mocked_generate_is_404_before_anything_is_published()
    {
        await using var harness = await FunctionsHarness.StartWithRecordedJobsAsync();

        var (status, _) = Read(await harness.Subjects.GenerateAsync(FunctionsHarness.Request("POST", "/api/subjects/rex/generate", """{ "prompts": ["a sks dog"] }"""), "rex"));

        Assert.Equal(404, status);
        Assert.Empty(((RecordingJobDispatcher)harness.Dispatcher).Sent);
    }

    [Fact]
    public async Task Service_bus_mocked_generate_queues_one_job_on_the_published_unet_and_answers_202_with_its_status_url()
    {
        await using var harness = await FunctionsHarness.StartWithRecordedJobsAsync();
        await PublishAsync(harness.Store, "rex", "00000000000000a1", 0.6);
        var published = await PublishAsync(harness.Store, "rex", "00000000000000b2", 0.7);
        const string Body = """{ "prompts": ["a sks dog on the moon", "a sks dog in the snow"], "imagesPerPrompt": 2, "seed": 7 }""";
        var request = FunctionsHarness.Request("POST", "/api/subjects/rex/generate", Body);

        var (status, body) = Read(await harness.Subjects.GenerateAsync(request, "rex"));
        var (again, againBody) = Read(await harness.Subjects.GenerateAsync(FunctionsHarness.Request("POST", "/api/subjects/rex/generate", Body), "rex"));

        Assert.Equal(202, status);
        var job = Assert.IsType<GenerateJob>(((RecordingJobDispatcher)harness.Dispatcher).Sent.First());
        Assert.Equal(published.RunId, job.RunId);
        Assert.True(job.Index >= SubjectHttpFunctions.FirstGenerationIndex);
        Assert.Equal($"models/rex/{published.Version}/unet/", job.Unet!.ToString());
        Assert.Equal("fixtures/sd-pipeline-tiny", job.BaseModel);
        Assert.Equal(["a sks dog on the moon", "a sks dog in the snow"], job.Prompts);
        Assert.Equal((2, 7L, 3, 5.0), (job.ImagesPerPrompt, job.Seed, job.InferenceSteps, job.GuidanceScale));
        Assert.Equal($"work/{published.RunId}/generated/{job.Index}/", job.OutputFolder.ToString());
        var statusUrl = $"https://rpo-func.azurewebsites.net/api/runs/{published.RunId}/jobs/generate-{job.Index}";
        Assert.Equal(statusUrl, body.GetProperty("statusUrl").GetString());
        Assert.Equal(statusUrl, request.HttpContext.Response.Headers.Location.ToString());
        Assert.Equal(job.JobId, body.GetProperty("jobId").GetString());
        Assert.Equal(StorageLayout.JobResultFile(published.RunId, $"generate-{job.Index}").ToString(), body.GetProperty("resultFile").GetString());

        // The same request again is the same job (Service Bus duplicate detection and the worker drop the repeat).
        Assert.Equal(202, again);
        Assert.Equal(job.JobId, againBody.GetProperty("jobId").GetString());
    }
}
