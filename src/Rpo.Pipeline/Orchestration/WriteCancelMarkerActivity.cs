using System.Text.Json;
using Microsoft.DurableTask;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Orchestration;

/// <param name="Reason">What the canceler said, if anything.</param>
public sealed record CancelMarkerInput(RunId RunId, string? Reason);

/// <summary>What the cancel marker holds: for people reading storage; its existence alone stops the jobs.</summary>
public sealed record CancelMarker(RunId RunId, string? Reason, DateTimeOffset CanceledAt);

/// <summary>
/// Writes <see cref="StorageLayout.CancelMarker"/> for a canceled run, so its running GPU jobs stop (the train job looks
/// between steps). Rewriting it is harmless, so retries are safe. Returns the marker's blob.
/// </summary>
public sealed class WriteCancelMarkerActivity(IBlobStorage storage, TimeProvider? time = null) : TaskActivity<CancelMarkerInput, string>
{
    public override async Task<string> RunAsync(TaskActivityContext context, CancelMarkerInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var blob = StorageLayout.CancelMarker(input.RunId);
        var marker = new CancelMarker(input.RunId, input.Reason, (time ?? TimeProvider.System).GetUtcNow());
        await storage.WriteAsync(blob, JsonSerializer.SerializeToUtf8Bytes(marker, RunJson.Indented)).ConfigureAwait(false);
        return blob.ToString();
    }
}
