using Rpo.Pipeline.Runs;

namespace Rpo.Pipeline.Storage;

/// <summary>
/// Every path of the storage layout (ARCHITECTURE.md, "Storage layout"), built in one place:
/// <code>
/// subjects/{subjectId}/                       uploads: images + optional subject.json
/// work/{runId}/                               negatives, scores, checkpoints, logs (transient)
/// models/{subjectId}/{version}/               published model: files, rpo.json, grid.png
/// models/{subjectId}/latest.json              the pointer, replaced only by a conditional write
/// </code>
/// </summary>
public static class StorageLayout
{
    public const string SubjectJsonName = "subject.json";
    public const string ManifestName = "rpo.json";
    public const string GridName = "grid.png";
    public const string LatestPointerName = "latest.json";

    // subjects/

    public static BlobRef SubjectFolder(string subjectId) => new(StorageArea.Subjects, Segment(subjectId, nameof(subjectId)) + "/");

    public static BlobRef SubjectFile(string subjectId, string fileName) => SubjectFolder(subjectId).Combine(FileName(fileName, nameof(fileName)));

    public static BlobRef SubjectJson(string subjectId) => SubjectFile(subjectId, SubjectJsonName);

    /// <summary>The subject id a blob of the subjects area belongs to ("dog/1.jpg" -> "dog"); null outside any subject folder.</summary>
    public static string? SubjectIdOf(BlobRef upload)
    {
        ArgumentNullException.ThrowIfNull(upload);
        var cut = upload.Path.IndexOf('/', StringComparison.Ordinal);
        return upload.Area == StorageArea.Subjects && cut > 0 && SubjectIds.Problem(upload.Path[..cut]) is null ? upload.Path[..cut] : null;
    }

    // work/

    public static BlobRef WorkFolder(RunId runId)
    {
        ArgumentNullException.ThrowIfNull(runId);
        return new BlobRef(StorageArea.Work, runId.Value + "/");
    }

    /// <summary>Any file of a run's work folder, for names this type does not know yet.</summary>
    public static BlobRef WorkFile(RunId runId, string relativePath) => WorkFolder(runId).Combine(relativePath);

    public static BlobRef NegativesFolder(RunId runId) => WorkFolder(runId).Combine("negatives/");

    /// <summary>Negative image <paramref name="imageIndex"/> of training prompt <paramref name="promptIndex"/>.</summary>
    public static BlobRef Negative(RunId runId, int promptIndex, int imageIndex) =>
        NegativesFolder(runId).Combine($"{Index(promptIndex, nameof(promptIndex)):D2}/{Index(imageIndex, nameof(imageIndex)):D3}.png");

    public static BlobRef CheckpointsFolder(RunId runId) => WorkFolder(runId).Combine("checkpoints/");

    /// <summary>The checkpoint after <paramref name="step"/> optimiser steps (a diffusers UNet folder).</summary>
    public static BlobRef Checkpoint(RunId runId, int step) => CheckpointsFolder(runId).Combine($"step-{Index(step, nameof(step)):D5}/");

    public static BlobRef ScoresFolder(RunId runId) => WorkFolder(runId).Combine("scores/");

    /// <summary>The validation score of the checkpoint at <paramref name="step"/>, and its images.</summary>
    public static BlobRef CheckpointScore(RunId runId, int step) => ScoresFolder(runId).Combine($"step-{Index(step, nameof(step)):D5}.json");

    public static BlobRef CheckpointImages(RunId runId, int step) => ScoresFolder(runId).Combine($"step-{Index(step, nameof(step)):D5}/");

    public static BlobRef JobResultFile(RunId runId, string jobName) => WorkFolder(runId).Combine($"jobs/{FileName(jobName, nameof(jobName))}.json");

    public static BlobRef Log(RunId runId) => WorkFile(runId, "run.log");

    /// <summary>
    /// Written to cancel a run: GPU jobs of the run poll it and stop (a train job between steps), because a job already
    /// running on a worker cannot be reached through the orchestration's events.
    /// </summary>
    public static BlobRef CancelMarker(RunId runId) => WorkFile(runId, "cancel.json");

    /// <summary>The run's last known <c>RunStatus</c>, mirrored by the local runner for <c>rpo status</c> in another process.</summary>
    public static BlobRef RunStatusFile(RunId runId) => WorkFile(runId, "status.json");

    // models/

    public static BlobRef ModelsFolder(string subjectId) => new(StorageArea.Models, Segment(subjectId, nameof(subjectId)) + "/");

    public static BlobRef LatestPointer(string subjectId) => ModelsFolder(subjectId).Combine(LatestPointerName);

    public static BlobRef ModelVersionFolder(string subjectId, string version) => ModelsFolder(subjectId).Combine(ValidateVersion(version) + "/");

    public static BlobRef ModelFile(string subjectId, string version, string relativePath) => ModelVersionFolder(subjectId, version).Combine(relativePath);

    public static BlobRef ModelManifest(string subjectId, string version) => ModelFile(subjectId, version, ManifestName);

    public static BlobRef ModelGrid(string subjectId, string version) => ModelFile(subjectId, version, GridName);

    /// <summary>The model version a run publishes: its run hash, so a retried publish of one run writes the same folder.</summary>
    public static string VersionFor(RunId runId)
    {
        ArgumentNullException.ThrowIfNull(runId);
        return runId.Hash;
    }

    public static string ValidateVersion(string version)
    {
        ArgumentNullException.ThrowIfNull(version);
        if (SubjectIds.Problem(version) is not null || version.Contains('.', StringComparison.Ordinal))
        {
            throw new ArgumentException($"Model version '{version}' must be 1-64 letters, digits, '-' or '_'.", nameof(version));
        }

        return version;
    }

    private static string Segment(string subjectId, string paramName) => SubjectIds.Validate(subjectId, paramName);

    private static string FileName(string name, string paramName)
    {
        var problem = BlobPaths.Problem(name, allowFolder: false);
        if (problem is null && name.Contains('/', StringComparison.Ordinal))
        {
            problem = "contains '/'";
        }

        return problem is null ? name : throw new ArgumentException($"File name '{name}' {problem}.", paramName);
    }

    private static int Index(int value, string paramName) =>
        value >= 0 ? value : throw new ArgumentOutOfRangeException(paramName, value, "Must be >= 0.");

}
