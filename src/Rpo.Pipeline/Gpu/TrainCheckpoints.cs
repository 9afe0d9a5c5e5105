using System.Text.Json;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;
using Rpo.Training;
using Rpo.Training.Lora;
using Rpo.Training.Models;

namespace Rpo.Pipeline.Gpu;

/// <summary>What a checkpoint in storage is: written last, so its presence means every other file of the checkpoint is complete.</summary>
/// <param name="Scheduled">False for a checkpoint saved only to resume (the worker was stopping): never reported as CheckpointSaved.</param>
/// <param name="Model">The folder under the checkpoint that is the model (a diffusers unet/, or lora/).</param>
/// <param name="GpuSeconds">GPU time of the train job up to this checkpoint, over all its attempts.</param>
internal sealed record CheckpointInfo(int Step, int TotalSteps, double Loss, double GpuSeconds, bool Scheduled, string Model);

/// <summary>
/// The train job's checkpoints in storage. One folder per step (<c>{checkpoints}/step-00040/</c>, as
/// <see cref="StorageLayout.Checkpoint"/>) holding <see cref="RpoTrainer.SaveCheckpoint"/>'s files with the model apart
/// from the resume state, so the model folder alone is what scoring loads and publishing copies:
/// <code>
/// unet/config.json, unet/diffusion_pytorch_model.safetensors   full fine-tuning   (or)
/// lora/pytorch_lora_weights.safetensors                        LoRA
/// optimizer.bin, trainer_state.json                            to resume
/// checkpoint.json                                              CheckpointInfo, written last
/// </code>
/// </summary>
internal static class TrainCheckpoints
{
    public const string InfoName = "checkpoint.json";

    public static BlobRef Folder(BlobRef checkpointsFolder, int step) => checkpointsFolder.Combine($"step-{step:D5}/");

    /// <summary>Uploads a local checkpoint folder; returns the model folder to report.</summary>
    public static async Task<BlobRef> UploadAsync(JobScratch scratch, string local, BlobRef folder, CheckpointInfo info, CancellationToken cancellationToken)
    {
        foreach (var file in Directory.GetFiles(local, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(local, file).Replace(Path.DirectorySeparatorChar, '/');
            if (relative == LoraAdapters.WeightsName)
            {
                relative = $"{FineTunedUnet.LoraFolder}/{relative}";
            }

            await scratch.UploadAsync(file, folder.Combine(relative), cancellationToken).ConfigureAwait(false);
        }

        await scratch.Storage.WriteAsync(folder.Combine(InfoName), JsonSerializer.SerializeToUtf8Bytes(info, RunJson.Options), cancellationToken: cancellationToken).ConfigureAwait(false);
        return folder.Combine(info.Model);
    }

    public static string ModelFolderName(bool lora) => lora ? FineTunedUnet.LoraFolder + "/" : RpoTrainer.UnetFolder + "/";

    /// <summary>Every complete checkpoint under <paramref name="checkpointsFolder"/>, by step.</summary>
    public static async Task<IReadOnlyList<(BlobRef Folder, CheckpointInfo Info)>> ListCompleteAsync(IBlobStorage storage, BlobRef checkpointsFolder, CancellationToken cancellationToken)
    {
        var found = new List<(BlobRef, CheckpointInfo)>();
        await foreach (var item in storage.ListAsync(checkpointsFolder, cancellationToken).ConfigureAwait(false))
        {
            var relative = item.Blob.RelativeTo(checkpointsFolder);
            if (relative.EndsWith("/" + InfoName, StringComparison.Ordinal) && relative.Count(c => c == '/') == 1)
            {
                found.Add((checkpointsFolder.Combine(relative[..^InfoName.Length]), await ReadInfoAsync(storage, item.Blob, cancellationToken).ConfigureAwait(false)));
            }
        }

        return [.. found.OrderBy(c => c.Item2.Step)];
    }

    public static async Task<CheckpointInfo> ReadInfoAsync(IBlobStorage storage, BlobRef infoBlob, CancellationToken cancellationToken)
    {
        var data = await storage.ReadAsync(infoBlob, cancellationToken).ConfigureAwait(false);
        return JsonSerializer.Deserialize<CheckpointInfo>(data.Content.Span, RunJson.Options)
            ?? throw new InvalidDataException($"{infoBlob} is empty.");
    }

    /// <summary>Brings a checkpoint back into <see cref="RpoTrainer.LoadCheckpoint"/>'s layout; returns the local folder.</summary>
    public static async Task<string> DownloadAsync(JobScratch scratch, BlobRef folder, string relative, CancellationToken cancellationToken)
    {
        var local = await scratch.DownloadFolderAsync(folder, relative, cancellationToken).ConfigureAwait(false);
        var lora = Path.Combine(local, FineTunedUnet.LoraFolder, LoraAdapters.WeightsName);
        if (File.Exists(lora))
        {
            File.Move(lora, Path.Combine(local, LoraAdapters.WeightsName));
        }

        return local;
    }
}
