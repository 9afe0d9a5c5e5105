using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using Rpo.Diffusion.Imaging;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Orchestration;

/// <param name="Checkpoint">The chosen checkpoint's folder (a diffusers UNet), published as unet/.</param>
/// <param name="ValidationImages">The chosen checkpoint's validation images, tiled into grid.png.</param>
public sealed record PublishModelInput(
    string SubjectId,
    RunId RunId,
    RunOptions Options,
    IReadOnlyList<CheckpointReward> Checkpoints,
    int SelectedStep,
    BlobRef Checkpoint,
    BlobRef ValidationImages,
    double GpuSeconds,
    double ElapsedSeconds);

public sealed record PublishModelOutput(PublishOutcome Outcome, string Version, BlobRef Folder, string? CurrentVersion);

/// <summary>
/// Publishes the chosen checkpoint through <see cref="ModelPublisher"/> (files first, rpo.json, then latest.json by a
/// conditional write), then announces it (<see cref="IModelAnnouncer"/>, when the host registers one). Safe to retry:
/// the version is the run's hash, a publish already in place is AlreadyCurrent, and the announcement's message id is the
/// version's, so a retried announcement is dropped as a duplicate.
/// </summary>
public sealed class PublishModelActivity(IBlobStorage storage, ILogger<PublishModelActivity> logger, IEnumerable<IModelAnnouncer> announcers)
    : TaskActivity<PublishModelInput, PublishModelOutput>
{
    public override async Task<PublishModelOutput> RunAsync(TaskActivityContext context, PublishModelInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var version = StorageLayout.VersionFor(input.RunId);
        var files = new List<PublishFile>(await PublishFile.CopyOfFolderAsync(storage, input.Checkpoint, "unet/").ConfigureAwait(false));
        var images = new List<RgbImage>();
        await foreach (var item in storage.ListAsync(input.ValidationImages).ConfigureAwait(false))
        {
            if (item.Blob.Name.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            {
                var data = await storage.ReadAsync(item.Blob).ConfigureAwait(false);
                images.Add(ImageFile.DecodeRgb(data.Content.ToArray()));
            }
        }

        if (images.Count > 0)
        {
            files.Add(PublishFile.FromBytes(StorageLayout.GridName, PngWriter.Encode(ImageGrid.Compose(images))));
        }
        else
        {
            logger.LogWarning("Run {RunId}: no validation images under {Folder}; publishing without {Grid}", input.RunId, input.ValidationImages, StorageLayout.GridName);
        }

        var best = input.Checkpoints.First(c => c.Step == input.SelectedStep);
        var manifest = new ModelManifest(
            input.SubjectId,
            version,
            input.RunId,
            input.Options,
            input.Checkpoints,
            input.SelectedStep,
            new Dictionary<string, double>
            {
                ["reward"] = best.Reward,
                ["gpuSeconds"] = input.GpuSeconds,
                ["elapsedSeconds"] = input.ElapsedSeconds,
            });
        var result = await new ModelPublisher(storage).PublishAsync(manifest, files).ConfigureAwait(false);
        var folder = StorageLayout.ModelVersionFolder(input.SubjectId, version);
        if (result.Outcome != PublishOutcome.Conflict)
        {
            var published = new ModelPublished(input.SubjectId, version, input.RunId, folder, input.SelectedStep, best.Reward);
            foreach (var announcer in announcers)
            {
                await announcer.AnnounceAsync(published, CancellationToken.None).ConfigureAwait(false);
            }
        }

        return new PublishModelOutput(result.Outcome, version, folder, result.Pointer?.Version);
    }
}
