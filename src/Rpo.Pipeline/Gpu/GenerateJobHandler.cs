using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Storage;
using Rpo.Training.Models;
using Rpo.Training.Negatives;

namespace Rpo.Pipeline.Gpu;

/// <summary>
/// Generates images for each prompt of a <see cref="GenerateJob"/> with the base model or a fine-tuned UNet (a diffusers
/// unet folder or a LoRA in storage): image k of prompt i from seed <c>job.Seed + i·n + k</c>
/// (<see cref="NegativeSet"/>'s rule), written as <c>{OutputFolder}{i:D2}/{k:D3}.png</c> with the set's manifest
/// (<c>negatives.json</c>: prompt and seed of each). The result's outputs are the image blobs.
/// </summary>
public sealed class GenerateJobHandler(IBlobStorage storage, GpuModels models, string scratchFolder, ILogger? logger = null)
    : JobHandler<GenerateJob>
{
    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    public override JobKind Kind => JobKind.Generate;

    protected override async Task<JobResult> HandleAsync(GenerateJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var clock = Stopwatch.StartNew();
        using var scratch = JobScratch.Create(scratchFolder, job, storage);
        var baseModel = models.Base(job.BaseModel);
        using var fineTuned = job.Unet is { } unet
            ? baseModel.LoadFineTuned(await scratch.DownloadFolderAsync(unet, "unet", cancellationToken).ConfigureAwait(false))
            : null;
        var generator = new CancelableGenerator(baseModel.Generator(job.InferenceSteps, job.GuidanceScale, fineTuned), cancellationToken);
        var local = scratch.PathOf("images");
        var set = NegativeSet.Generate(generator, job.Prompts, job.ImagesPerPrompt, job.Seed, local);

        var outputs = new List<BlobRef>();
        foreach (var image in set.Images)
        {
            var blob = job.OutputFolder.Combine($"{image.PromptIndex:D2}/{image.Index:D3}.png");
            await scratch.UploadAsync(Path.Combine(local, image.File), blob, cancellationToken).ConfigureAwait(false);
            outputs.Add(blob);
        }

        await scratch.UploadAsync(Path.Combine(local, NegativeSet.ManifestName), job.OutputFolder.Combine(NegativeSet.ManifestName), cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("{JobId}: {Count} images of {Prompts} prompt(s) in {Seconds:F1} s", job.JobId, outputs.Count, job.Prompts.Count, clock.Elapsed.TotalSeconds);
        return JobResult.Success(job, outputs, gpuSeconds: clock.Elapsed.TotalSeconds);
    }

    /// <summary>Checks the token between images, so a stopping worker does not finish a long batch first.</summary>
    private sealed class CancelableGenerator(IImageGenerator inner, CancellationToken cancellationToken) : IImageGenerator
    {
        public Rpo.Diffusion.Imaging.RgbImage Generate(string prompt, long seed)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return inner.Generate(prompt, seed);
        }
    }
}
