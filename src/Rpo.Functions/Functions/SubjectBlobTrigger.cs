using Azure.Storage.Blobs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;
using Rpo.Pipeline.Subjects;

namespace Rpo.Functions.Functions;

/// <summary>
/// Starts — or joins — a subject's run when its upload is complete. The completeness rule:
/// <list type="number">
/// <item><b>subject.json is the marker</b>, written last. Before it exists an upload event does nothing (in Azure it is
/// also where the class noun comes from, so a run without it could only fail).</item>
/// <item>Once it exists, <b>every upload event</b> (the marker's, or a photo's after it) starts or joins the run of the
/// folder as it is now: the run id hashes the current inputs (<see cref="RunId"/>), so events of one upload join one
/// run, and a photo added after the marker makes a new image set and so a new run.</item>
/// <item>Running runs of the subject with another id are <b>superseded</b> and canceled (nothing of theirs is
/// published). The folder is read again after starting, so an event handled while the upload was still changing never
/// leaves a stale run behind: the later read starts (or joins) the current set's run and cancels the stale one.</item>
/// <item>A file the run ignores (.DS_Store, Thumbs.db, hidden files: <see cref="SubjectValidator.IsIgnored"/>) changes
/// nothing, and is no run input either.</item>
/// </list>
/// Why a marker rather than a quiet period: a quiet period guesses when an upload is over (too short splits a slow
/// upload into runs, too long delays every run), and needs a per-subject timer orchestration that every event resets;
/// the marker is the uploader's own statement, costs one extra file, and `az storage blob upload` of subject.json after
/// `upload-batch` of the photos is the documented order (docs/deploy.md). Deleting a photo raises no BlobCreated event
/// and starts nothing until the next upload event.
/// </summary>
public sealed class SubjectBlobTrigger(IBlobStorage storage, ILogger<SubjectBlobTrigger> logger)
{
    public const string Name = "SubjectBlobTrigger";

    /// <summary>Event Grid source: Flex Consumption has no polling blob trigger; infra/ subscribes this function's webhook.</summary>
    [Function(Name)]
    public async Task RunAsync(
        [BlobTrigger(AppSettings.SubjectsContainer + "/{subjectId}/{name}", Source = BlobTriggerSource.EventGrid, Connection = AppSettings.StorageConnection)] BlobClient blob,
        string subjectId,
        string name,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (SubjectIds.Problem(subjectId) is { } problem)
        {
            logger.LogWarning("Upload {Blob} ignored: the folder name '{SubjectId}' is not a subject id ({Problem})", blob?.Name, subjectId, problem);
            return;
        }

        if (SubjectValidator.IsIgnored(name))
        {
            logger.LogInformation("Upload {SubjectId}/{Name} ignored: not part of a subject", subjectId, name);
            return;
        }

        if (!await storage.ExistsAsync(StorageLayout.SubjectJson(subjectId), cancellationToken).ConfigureAwait(false))
        {
            logger.LogInformation("Upload {SubjectId}/{Name}: waiting for {Marker}, which completes the upload", subjectId, name, StorageLayout.SubjectJsonName);
            return;
        }

        var starter = new RunStarter(client, storage);
        var first = await starter.StartOrJoinAsync(subjectId, cancellationToken: cancellationToken).ConfigureAwait(false);

        // Read again: if files arrived while this event was handled, the later set's run is the one to keep, and the
        // run just started for the earlier set is canceled below like any superseded run.
        var current = await starter.StartOrJoinAsync(subjectId, cancellationToken: cancellationToken).ConfigureAwait(false);
        logger.LogInformation(
            "Upload {SubjectId}/{Name}: run {RunId} {Action}",
            subjectId,
            name,
            current.RunId,
            current.Started || (first.Started && first.RunId == current.RunId) ? "started" : $"joined ({current.Existing?.RuntimeStatus})");

        await CancelSupersededAsync(client, subjectId, current.RunId, cancellationToken).ConfigureAwait(false);
    }

    private async Task CancelSupersededAsync(DurableTaskClient client, string subjectId, RunId current, CancellationToken cancellationToken)
    {
        var canceller = new RunCanceller(client);
        var query = new OrchestrationQuery
        {
            InstanceIdPrefix = subjectId + "-",
            Statuses = [OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended],
        };
        await foreach (var instance in client.GetAllInstancesAsync(query).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            // The prefix "rex-" also matches subject "rex-2"'s runs; only this subject's runs are superseded.
            if (!TryParseRunId(instance.InstanceId, out var other) || other.SubjectId != subjectId || other == current)
            {
                continue;
            }

            var canceled = await canceller.CancelAsync(other, $"superseded by run {current}: the uploads of '{subjectId}' changed", cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Run {RunId} of {SubjectId}: superseded by {Current} ({Result})", other, subjectId, current, canceled.Result);
        }
    }

    private static bool TryParseRunId(string instanceId, out RunId runId)
    {
        try
        {
            runId = RunId.Parse(instanceId);
            return true;
        }
        catch (FormatException)
        {
            runId = null!;
            return false;
        }
    }
}
