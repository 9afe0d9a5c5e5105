using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rpo.Diffusion.Imaging;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Storage;
using Rpo.Training.Adapters;
using Rpo.Training.Validation;

namespace Rpo.Pipeline.Gpu;

/// <summary>
/// Scores one checkpoint (step 6): generates <see cref="Runs.RunOptions.ValImages"/> images per training prompt with the
/// checkpoint's UNet, on the same seeds for every checkpoint (<see cref="CheckpointScoring"/>), and scores them with
/// R_λval against the subject's photos. Images go to <see cref="StorageLayout.CheckpointImages"/> as
/// <c>{prompt:D2}/{image:D3}.png</c> (the publish step tiles the chosen one's into grid.png); the score JSON (mean and
/// per prompt) to <see cref="ScoreCheckpointJob.Output"/>; the mean is the <see cref="ScoreMetrics.Reward"/> metric.
/// </summary>
public sealed class ScoreCheckpointJobHandler(IBlobStorage storage, GpuModels models, string scratchFolder, ILogger? logger = null)
    : JobHandler<ScoreCheckpointJob>
{
    private static readonly JsonSerializerOptions ScoreJson = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    public override JobKind Kind => JobKind.ScoreCheckpoint;

    protected override async Task<JobResult> HandleAsync(ScoreCheckpointJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var clock = Stopwatch.StartNew();
        var options = job.Options;
        using var scratch = JobScratch.Create(scratchFolder, job, storage);
        var references = await scratch.ReadImagesAsync(job.ReferenceImages, cancellationToken).ConfigureAwait(false);
        var checkpoint = await scratch.DownloadFolderAsync(job.Checkpoint, "checkpoint", cancellationToken).ConfigureAwait(false);
        var baseModel = models.Base(options.BaseModel);
        var reward = models.Reward(options.BaseModel, options.Encoder);

        var images = new List<(int Index, RgbImage Image)>();
        CheckpointScore score;
        using (var unet = baseModel.LoadFineTuned(checkpoint))
        using (var scorer = new RewardModelScorer(reward, references))
        {
            var generator = baseModel.Generator(options.SampleSteps, options.GuidanceScale, unet);
            score = CheckpointScoring.Score(
                job.Step,
                generator,
                scorer,
                job.Prompts,
                options.ValImages,
                options.LambdaVal,
                options.Seed,
                job.Identifier,
                options.PaperCompat,
                onImage: (index, _, image) =>
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    images.Add((index, image));
                });
        }

        var folder = StorageLayout.CheckpointImages(job.RunId, job.Step);
        foreach (var (index, image) in images)
        {
            var blob = folder.Combine($"{index / options.ValImages:D2}/{index % options.ValImages:D3}.png");
            await storage.WriteAsync(blob, PngWriter.Encode(image), cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        await storage.WriteAsync(job.Output, JsonSerializer.SerializeToUtf8Bytes(score, ScoreJson), cancellationToken: cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("{JobId}: checkpoint at step {Step} scores {Reward:F4} ({Images} images)", job.JobId, job.Step, score.MeanReward, images.Count);
        return JobResult.Success(job, [job.Output, folder], new Dictionary<string, double> { [ScoreMetrics.Reward] = score.MeanReward }, clock.Elapsed.TotalSeconds);
    }
}
