using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.DurableTask.Client;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Local;

/// <summary>
/// work/{runId}/status.json: the local runner's mirror of its run (the in-process host's state lives in that process
/// only), for <c>rpo status</c> and for a second <c>rpo run</c> of the same uploads in another process.
/// </summary>
/// <param name="RuntimeStatus">The orchestration's runtime status; Running until it ends.</param>
/// <param name="Status">The orchestration's custom status (stage, step, rewards…), null before its first one.</param>
/// <param name="Outcome">The orchestration's output once it completed (succeeded or canceled).</param>
/// <param name="Failure">Why the run failed, when it did: the orchestration's message, naming each bad file.</param>
/// <param name="Heartbeat">When the owning process last wrote this file; it rewrites it at least every heartbeat
/// interval while the run is alive, so an old one means that process is gone.</param>
/// <param name="Owner">The process that runs it ("host/pid"), for messages.</param>
public sealed record RunStatusDocument(
    RunId RunId,
    OrchestrationRuntimeStatus RuntimeStatus,
    RunStatus? Status,
    RunOutcome? Outcome,
    string? Failure,
    DateTimeOffset Started,
    DateTimeOffset Heartbeat,
    string Owner)
{
    /// <summary>Ended: nothing runs it any more, whatever the heartbeat says.</summary>
    [JsonIgnore]
    public bool IsFinished => RuntimeStatus is OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated;

    /// <summary>Completed and published (not canceled).</summary>
    [JsonIgnore]
    public bool Succeeded => RuntimeStatus == OrchestrationRuntimeStatus.Completed && Outcome?.Result == RunResultKind.Succeeded;

    [JsonIgnore]
    public bool Canceled => RuntimeStatus == OrchestrationRuntimeStatus.Completed && Outcome?.Result == RunResultKind.Canceled;

    /// <summary>"running", "completed", "failed", "canceled", "terminated", "pending".</summary>
    [JsonIgnore]
    public string StateName => Canceled ? "canceled" : RuntimeStatus.ToString().ToLowerInvariant();

    public static async Task<(RunStatusDocument Document, BlobETag ETag)?> ReadAsync(IBlobStorage storage, RunId runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var data = await storage.TryReadAsync(StorageLayout.RunStatusFile(runId), cancellationToken).ConfigureAwait(false);
        if (data is null)
        {
            return null;
        }

        try
        {
            return (JsonSerializer.Deserialize<RunStatusDocument>(data.Content.Span, RunJson.Options)!, data.ETag);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{StorageLayout.RunStatusFile(runId)} in {storage.Location} is not a run status: {e.Message}", e);
        }
    }

    public Task<BlobETag> WriteAsync(IBlobStorage storage, WriteCondition? condition = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        return storage.WriteAsync(StorageLayout.RunStatusFile(RunId), JsonSerializer.SerializeToUtf8Bytes(this, RunJson.Indented), condition, cancellationToken);
    }
}

/// <summary>
/// work/{runId}/cancel.json (<see cref="CancelMarker"/>, the format the orchestration writes too): asks the run to stop.
/// Whoever runs the run polls it (the local runner raises the orchestration's cancel event; a train job stops between
/// steps), so a cancel works from any process.
/// </summary>
public static class CancelMarkers
{
    public static Task<BlobETag> WriteAsync(IBlobStorage storage, RunId runId, string? reason, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        return storage.WriteAsync(StorageLayout.CancelMarker(runId), JsonSerializer.SerializeToUtf8Bytes(new CancelMarker(runId, reason, at), RunJson.Indented), cancellationToken: cancellationToken);
    }

    /// <summary>The marker, or null when there is none. One that is not this JSON still cancels (its reason unknown).</summary>
    public static async Task<CancelMarker?> ReadAsync(IBlobStorage storage, RunId runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var data = await storage.TryReadAsync(StorageLayout.CancelMarker(runId), cancellationToken).ConfigureAwait(false);
        if (data is null)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<CancelMarker>(data.Content.Span, RunJson.Options) ?? new CancelMarker(runId, null, DateTimeOffset.MinValue);
        }
        catch (JsonException)
        {
            return new CancelMarker(runId, null, DateTimeOffset.MinValue);
        }
    }
}
