using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;
using static Rpo.Pipeline.Tests.Subjects.SubjectUploads;

namespace Rpo.Functions.Tests;

/// <summary>GET /api/runs/{runId}, POST /api/runs/{runId}/cancel and GET /api/runs/{runId}/jobs/{job}, called with real HttpRequests.</summary>
public sealed class RunHttpFunctionsTests
{
    internal static (int Status, JsonElement Body) Read(IActionResult result)
    {
        var content = Assert.IsType<ContentResult>(result);
        Assert.StartsWith("application/json", content.ContentType, StringComparison.Ordinal);
        return (content.StatusCode!.Value, JsonDocument.Parse(content.Content!).RootElement.Clone());
    }

    [Fact]
    public async Task Service_bus_mocked_run_status_shows_runtime_and_run_status_404_for_an_unknown_run_and_400_for_a_malformed_id()
    {
        await using var harness = await FunctionsHarness.StartWithRecordedJobsAsync();
        await harness.UploadAsync("rex", ("a.png", Png(256, 256, 1)), ("b.png", Png(256, 256, 2)), ("subject.json", Json(SubjectBlobTriggerTests.SubjectJson)));
        var runId = await harness.CurrentRunIdAsync("rex");
        await harness.WaitForStageAsync(runId, RunStage.GeneratingNegatives);

        var (status, body) = Read(await harness.Runs.GetRunAsync(FunctionsHarness.Request("GET", $"/api/runs/{runId}"), runId.Value, harness.Client));
        var (unknown, unknownBody) = Read(await harness.Runs.GetRunAsync(FunctionsHarness.Request("GET", "/api/runs/rex-0000000000000000"), "rex-0000000000000000", harness.Client));
        var (malformed, _) = Read(await harness.Runs.GetRunAsync(FunctionsHarness.Request("GET", "/api/runs/rex"), "rex", harness.Client));

        Assert.Equal(200, status);
        Assert.Equal(runId.Value, body.GetProperty("runId").GetString());
        Assert.Equal("rex", body.GetProperty("subjectId").GetString());
        Assert.Equal("running", body.GetProperty("runtimeStatus").GetString());
        Assert.Equal("generating-negatives", body.GetProperty("status").GetProperty("stage").GetString());
        Assert.Equal(8, body.GetProperty("status").GetProperty("negativePrompts").GetInt32());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("outcome").ValueKind);
        Assert.Equal(404, unknown);
        Assert.Contains("rex-0000000000000000", unknownBody.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(400, malformed);
    }

    [Fact]
    public async Task Service_bus_mocked_cancel_answers_202_with_the_status_url_and_the_run_stops_canceled()
    {
        await using var harness = await FunctionsHarness.StartWithRecordedJobsAsync();
        await harness.UploadAsync("rex", ("a.png", Png(256, 256, 1)), ("b.png", Png(256, 256, 2)), ("subject.json", Json(SubjectBlobTriggerTests.SubjectJson)));
        var runId = await harness.CurrentRunIdAsync("rex");
        await harness.WaitForStageAsync(runId, RunStage.GeneratingNegatives);
        var request = FunctionsHarness.Request("POST", $"/api/runs/{runId}/cancel?reason=wrong%20photos");

        var (status, body) = Read(await harness.Runs.CancelRunAsync(request, runId.Value, harness.Client));

        Assert.Equal(202, status);
        var statusUrl = $"https://rpo-func.azurewebsites.net/api/runs/{runId}";
        Assert.Equal(statusUrl, body.GetProperty("statusUrl").GetString());
        Assert.Equal(statusUrl, request.HttpContext.Response.Headers.Location.ToString());
        var canceled = await harness.WaitForCompletionAsync(runId);
        Assert.Equal(RunResultKind.Canceled, canceled.ReadOutputAs<RunOutcome>()!.Result);
        Assert.Contains("wrong photos", canceled.ReadCustomStatusAs<RunStatus>()!.Message, StringComparison.Ordinal);
        Assert.True(await harness.Store.ExistsAsync(StorageLayout.CancelMarker(runId)));

        // Once it has ended, a second cancel has nothing to stop.
        var (again, _) = Read(await harness.Runs.CancelRunAsync(FunctionsHarness.Request("POST", $"/api/runs/{runId}/cancel"), runId.Value, harness.Client));
        Assert.Equal(409, again);
    }

    [Fact]
    public async Task Service_bus_mocked_cancel_of_an_ended_run_is_409_and_of_an_unknown_run_404()
    {
        await using var harness = await FunctionsHarness.StartWithRecordedJobsAsync();
        await harness.UploadAsync("rex", ("a.png", Png(256, 256, 1)), ("subject.json", Json(SubjectBlobTriggerTests.SubjectJson)));
        var runId = await harness.CurrentRunIdAsync("rex");
        var failed = await harness.WaitForCompletionAsync(runId);
        Assert.Equal(Microsoft.DurableTask.Client.OrchestrationRuntimeStatus.Failed, failed.RuntimeStatus);

        var (ended, endedBody) = Read(await harness.Runs.CancelRunAsync(FunctionsHarness.Request("POST", $"/api/runs/{runId}/cancel"), runId.Value, harness.Client));
        var (unknown, _) = Read(await harness.Runs.CancelRunAsync(FunctionsHarness.Request("POST", "/api/runs/rex-0000000000000000/cancel"), "rex-0000000000000000", harness.Client));
        var (view, viewBody) = Read(await harness.Runs.GetRunAsync(FunctionsHarness.Request("GET", $"/api/runs/{runId}"), runId.Value, harness.Client));

        Assert.Equal(409, ended);
        Assert.Contains("Failed", endedBody.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(404, unknown);
        Assert.False(await harness.Store.ExistsAsync(StorageLayout.CancelMarker(runId)));
        Assert.Equal(200, view);
        Assert.Equal("failed", viewBody.GetProperty("runtimeStatus").GetString());
        Assert.Contains("at least 2 are needed", viewBody.GetProperty("failure").GetString(), StringComparison.Ordinal);
        Assert.Equal("(subject)", viewBody.GetProperty("status").GetProperty("problems")[0].GetProperty("file").GetString());
    }

    [Fact]
    public async Task Service_bus_mocked_a_jobs_status_url_answers_202_until_the_worker_wrote_its_result_then_200_with_it()
    {
        await using var harness = await FunctionsHarness.StartWithRecordedJobsAsync();
        var runId = RunId.Parse("rex-00000000000000a1");
        var job = new GenerateJob(runId, 1_000_123, RunOptions.DefaultBaseModel, null, ["a sks dog"], 1, 0, StorageLayout.WorkFile(runId, "generated/1000123/"));
        var path = $"/api/runs/{runId}/jobs/generate-1000123";

        var (pending, pendingBody) = Read(await harness.Runs.GetJobAsync(FunctionsHarness.Request("GET", path), runId.Value, "generate-1000123"));
        var output = job.OutputFolder.Combine("00/000.png");
        await harness.Store.WriteAsync(StorageLayout.JobResultFile(runId, "generate-1000123"), JobMessages.Serialize(JobResult.Success(job, [output], gpuSeconds: 4)).ToMemory());
        var (done, doneBody) = Read(await harness.Runs.GetJobAsync(FunctionsHarness.Request("GET", path), runId.Value, "generate-1000123"));
        var (bad, _) = Read(await harness.Runs.GetJobAsync(FunctionsHarness.Request("GET", $"/api/runs/{runId}/jobs/..%2Fx"), runId.Value, "../x"));

        Assert.Equal(202, pending);
        Assert.False(pendingBody.GetProperty("done").GetBoolean());
        Assert.Equal(200, done);
        Assert.True(doneBody.GetProperty("done").GetBoolean());
        Assert.Equal("succeeded", doneBody.GetProperty("result").GetProperty("status").GetString());
        Assert.Equal(output.ToString(), doneBody.GetProperty("result").GetProperty("outputs")[0].GetString());
        Assert.Equal(400, bad);
        Assert.Equal("generate-1000123", doneBody.GetProperty("job").GetString());
    }
}
