using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;

namespace Rpo.Functions.Functions;

/// <summary>A run as the HTTP API shows it: the Durable runtime status, the run's own status, and its outcome once ended.</summary>
/// <param name="Status">The orchestration's custom status (stage, step, rewards…); null before the run first sets it.</param>
/// <param name="Outcome">The result of a completed run (succeeded or canceled).</param>
/// <param name="Failure">Why a failed run failed (each refused file is also in <see cref="RunStatus.Problems"/>).</param>
public sealed record RunView(
    RunId RunId,
    string SubjectId,
    OrchestrationRuntimeStatus RuntimeStatus,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUpdatedAt,
    RunStatus? Status,
    RunOutcome? Outcome,
    string? Failure);

/// <summary>A GPU job's state behind its status URL: its result once the worker has written it.</summary>
public sealed record JobView(string Job, RunId RunId, bool Done, JobResult? Result);

/// <summary>HTTP API of runs (function-level auth): status, cancel, and the result of a job such as a generation.</summary>
public sealed partial class RunHttpFunctions(IBlobStorage storage)
{
    [Function("GetRun")]
    public async Task<IActionResult> GetRunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{runId}")] HttpRequest request,
        string runId,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        if (!RunId.TryParse(runId, out var id, out var problem))
        {
            return Json.Error(HttpStatusCode.BadRequest, problem);
        }

        var instance = await client.GetInstanceAsync(id.Value, getInputsAndOutputs: true, request.HttpContext.RequestAborted).ConfigureAwait(false);
        if (instance is null)
        {
            return Json.Error(HttpStatusCode.NotFound, $"No run '{id}'.");
        }

        var view = new RunView(
            id,
            id.SubjectId,
            instance.RuntimeStatus,
            instance.CreatedAt,
            instance.LastUpdatedAt,
            instance.SerializedCustomStatus is null ? null : instance.ReadCustomStatusAs<RunStatus>(),
            instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? instance.ReadOutputAs<RunOutcome>() : null,
            instance.FailureDetails?.ErrorMessage);
        return Json.Result(HttpStatusCode.OK, view);
    }

    /// <summary>Cancels a running run (<see cref="RunCanceller"/>); <c>?reason=</c> is recorded in its status.</summary>
    [Function("CancelRun")]
    public async Task<IActionResult> CancelRunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "runs/{runId}/cancel")] HttpRequest request,
        string runId,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        if (!RunId.TryParse(runId, out var id, out var problem))
        {
            return Json.Error(HttpStatusCode.BadRequest, problem);
        }

        string? reason = request.Query["reason"];
        var cancel = await new RunCanceller(client).CancelAsync(id, reason, request.HttpContext.RequestAborted).ConfigureAwait(false);
        return cancel.Result switch
        {
            RunCancelResult.NotFound => Json.Error(HttpStatusCode.NotFound, $"No run '{id}'."),
            RunCancelResult.NotRunning => Json.Error(HttpStatusCode.Conflict, $"Run '{id}' has already ended ({cancel.Instance!.RuntimeStatus}); there is nothing to cancel."),
            _ => Accepted(request, $"runs/{id}", new { runId = id, cancel = "requested", statusUrl = Url(request, $"runs/{id}") }),
        };
    }

    /// <summary>A job's result (<c>work/{runId}/jobs/{kind}-{index}.json</c>, written by the worker): 202 until it exists.</summary>
    [Function("GetJob")]
    public async Task<IActionResult> GetJobAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{runId}/jobs/{job}")] HttpRequest request,
        string runId,
        string job)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!RunId.TryParse(runId, out var id, out var problem))
        {
            return Json.Error(HttpStatusCode.BadRequest, problem);
        }

        var match = JobName().Match(job ?? string.Empty);
        if (!match.Success || !JobKinds.TryParse(match.Groups[1].Value, out _))
        {
            return Json.Error(HttpStatusCode.BadRequest, $"'{job}' is not a job name (\"<kind>-<index>\", kinds: {string.Join(", ", JobKinds.All.Select(k => k.ToName()))}).");
        }

        var data = await storage.TryReadAsync(StorageLayout.JobResultFile(id, job!), request.HttpContext.RequestAborted).ConfigureAwait(false);
        if (data is null)
        {
            return Json.Result(HttpStatusCode.Accepted, new JobView(job!, id, false, null));
        }

        return Json.Result(HttpStatusCode.OK, new JobView(job!, id, true, JobMessages.ParseResult(BinaryData.FromBytes(data.Content))));
    }

    /// <summary>202 with the status URL in Location and in the body.</summary>
    internal static ContentResult Accepted(HttpRequest request, string statusPath, object body)
    {
        request.HttpContext.Response.Headers.Location = Url(request, statusPath);
        return Json.Result(HttpStatusCode.Accepted, body);
    }

    /// <summary>An absolute URL of this app's API (the caller adds its function key).</summary>
    internal static string Url(HttpRequest request, string path) => $"{request.Scheme}://{request.Host}{request.PathBase}/api/{path}";

    [GeneratedRegex("^([a-z-]+)-([0-9]{1,10})$")]
    private static partial Regex JobName();
}
