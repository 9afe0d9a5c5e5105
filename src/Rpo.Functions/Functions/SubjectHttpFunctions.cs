using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;

namespace Rpo.Functions.Functions;

/// <summary>One published version, summarised from its rpo.json.</summary>
/// <param name="Latest">Whether latest.json points at it (a version that lost a concurrent publish never is).</param>
public sealed record ModelVersionView(
    string Version,
    RunId RunId,
    bool Latest,
    string BaseModel,
    int SelectedStep,
    double? Reward,
    int Checkpoints,
    int? LoraRank,
    IReadOnlyDictionary<string, double> Metrics,
    BlobRef Folder);

public sealed record SubjectModelsView(string SubjectId, ModelPointer? Latest, IReadOnlyList<ModelVersionView> Versions);

/// <summary>
/// The body of <c>POST /api/subjects/{subjectId}/generate</c>. Only <c>prompts</c> is required; an unknown member is
/// refused (a misspelt option must not silently take its default).
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record GenerateRequest(
    IReadOnlyList<string> Prompts,
    int ImagesPerPrompt = 4,
    long Seed = 0,
    int? InferenceSteps = null,
    double? GuidanceScale = null)
{
    public const int MaxPrompts = 16;
    public const int MaxImagesPerPrompt = 16;

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Prompts.Count is 0 or > MaxPrompts || Prompts.Any(string.IsNullOrWhiteSpace))
        {
            problems.Add($"prompts must be 1 to {MaxPrompts} non-empty strings");
        }

        if (ImagesPerPrompt is < 1 or > MaxImagesPerPrompt)
        {
            problems.Add($"imagesPerPrompt must be 1 to {MaxImagesPerPrompt} (got {ImagesPerPrompt})");
        }

        if (Seed < 0)
        {
            problems.Add($"seed must be >= 0 (got {Seed})");
        }

        if (InferenceSteps is < 1)
        {
            problems.Add($"inferenceSteps must be at least 1 (got {InferenceSteps})");
        }

        if (GuidanceScale is { } scale && (!double.IsFinite(scale) || scale < 0))
        {
            problems.Add($"guidanceScale must be a finite number >= 0 (got {scale})");
        }

        return problems;
    }
}

/// <summary>What <c>POST …/generate</c> answers: the queued job and where its result and images will be.</summary>
public sealed record GenerateAccepted(string JobId, RunId RunId, string Version, BlobRef OutputFolder, BlobRef ResultFile, string StatusUrl);

/// <summary>HTTP API of a subject's published models (function-level auth).</summary>
public sealed class SubjectHttpFunctions(IBlobStorage storage, IJobDispatcher dispatcher)
{
    /// <summary>Generation jobs of a published model take indices from here on, apart from the run's own generate jobs (one per training prompt).</summary>
    public const int FirstGenerationIndex = 1_000_000;

    [Function("GetSubjectModels")]
    public async Task<IActionResult> GetModelsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "subjects/{subjectId}/models")] HttpRequest request,
        string subjectId)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (BadSubjectId(subjectId) is { } badRequest)
        {
            return badRequest;
        }

        var cancellationToken = request.HttpContext.RequestAborted;
        var publisher = new ModelPublisher(storage);
        var latest = await publisher.ReadLatestAsync(subjectId, cancellationToken).ConfigureAwait(false);
        var versions = (await publisher.ListVersionsAsync(subjectId, cancellationToken).ConfigureAwait(false))
            .OrderBy(v => v.Manifest.Version, StringComparer.Ordinal)
            .Select(v => new ModelVersionView(
                v.Manifest.Version,
                v.Manifest.RunId,
                v.IsLatest,
                v.Manifest.Options.BaseModel,
                v.Manifest.SelectedStep,
                v.Reward,
                v.Manifest.Checkpoints.Count,
                v.Manifest.Options.LoraRank,
                v.Manifest.Metrics,
                v.Folder))
            .ToList();
        return Json.Result(HttpStatusCode.OK, new SubjectModelsView(subjectId, latest, versions));
    }

    /// <summary>
    /// Queues a generate job on the published (latest) model. The job's index is derived from the version and the
    /// request, so the same request twice is one job (the queue's duplicate detection and the worker's stored result
    /// both key on the job id) and answers the same status URL.
    /// </summary>
    [Function("GenerateFromModel")]
    public async Task<IActionResult> GenerateAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "subjects/{subjectId}/generate")] HttpRequest request,
        string subjectId)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (BadSubjectId(subjectId) is { } badRequest)
        {
            return badRequest;
        }

        var cancellationToken = request.HttpContext.RequestAborted;
        GenerateRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<GenerateRequest>(request.Body, RunJson.Options, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            var cut = e.Message.IndexOf(" Path: ", StringComparison.Ordinal);
            return Json.Error(HttpStatusCode.BadRequest, $"Invalid body{(e.Path is { Length: > 1 } path ? " at " + path : "")}: {(cut < 0 ? e.Message : e.Message[..cut])}");
        }

        if (body is null)
        {
            return Json.Error(HttpStatusCode.BadRequest, "The body must be a JSON object with \"prompts\".");
        }

        if (body.Problems() is { Count: > 0 } problems)
        {
            return Json.Error(HttpStatusCode.BadRequest, "Invalid body: " + string.Join("; ", problems) + ".");
        }

        var publisher = new ModelPublisher(storage);
        var latest = await publisher.ReadLatestAsync(subjectId, cancellationToken).ConfigureAwait(false);
        if (latest is null)
        {
            return Json.Error(HttpStatusCode.NotFound, $"Subject '{subjectId}' has no published model yet.");
        }

        var manifest = await publisher.ReadManifestAsync(subjectId, latest.Version, cancellationToken).ConfigureAwait(false);
        var index = GenerationIndex(latest.Version, body);
        var output = StorageLayout.WorkFile(latest.RunId, $"generated/{index}/");
        var job = new GenerateJob(
            latest.RunId,
            index,
            manifest.Options.BaseModel,
            StorageLayout.ModelVersionFolder(subjectId, latest.Version).Combine("unet/"),
            body.Prompts,
            body.ImagesPerPrompt,
            body.Seed,
            output,
            body.InferenceSteps ?? manifest.Options.SampleSteps,
            body.GuidanceScale ?? manifest.Options.GuidanceScale);
        await dispatcher.DispatchAsync(job, cancellationToken).ConfigureAwait(false);

        var jobName = $"{job.Kind.ToName()}-{job.Index}";
        var statusPath = $"runs/{latest.RunId}/jobs/{jobName}";
        var accepted = new GenerateAccepted(job.JobId, latest.RunId, latest.Version, output, StorageLayout.JobResultFile(latest.RunId, jobName), RunHttpFunctions.Url(request, statusPath));
        return RunHttpFunctions.Accepted(request, statusPath, accepted);
    }

    /// <summary>A stable index for one request on one version, never one of the run's own generate jobs.</summary>
    public static int GenerationIndex(string version, GenerateRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = JsonSerializer.SerializeToUtf8Bytes(new { version, request }, RunJson.Options);
        var hash = BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(key));
        return FirstGenerationIndex + (int)(hash % 1_000_000_000u);
    }

    /// <summary>The 400 answer for a route's subject id that is not one, or null.</summary>
    private static ContentResult? BadSubjectId(string subjectId) =>
        SubjectIds.Problem(subjectId) is { } problem ? Json.Error(HttpStatusCode.BadRequest, $"Subject id '{subjectId}' {problem}.") : null;
}
