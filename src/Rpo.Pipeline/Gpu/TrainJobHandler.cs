using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rpo.Diffusion.Imaging;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;
using Rpo.Training;
using Rpo.Training.Adapters;
using Rpo.Training.Models;
using Rpo.Training.Preferences;

namespace Rpo.Pipeline.Gpu;

/// <summary>How the train job behaves around its steps.</summary>
/// <param name="CancelPollInterval">The least time between two looks at the run's cancel marker (each one a blob call in Azure).</param>
/// <param name="Resolution">Training resolution in pixels; null: the base model's (<see cref="BaseModel.Resolution"/>).</param>
public sealed record TrainJobSettings(TimeSpan CancelPollInterval, int? Resolution = null)
{
    public static TrainJobSettings Default { get; } = new(TimeSpan.FromSeconds(2));
}

/// <summary>
/// The RPO train job: scores the negatives and draws the preference labels (steps 2–3, kept as
/// <c>work/{runId}/labels.json</c> with every pair's rewards), reports <see cref="LabelsDrawn"/>, then trains with
/// <see cref="RpoTrainer"/> and uploads a checkpoint at every step of <see cref="CheckpointSelection.Schedule"/>,
/// reporting each <see cref="CheckpointSaved"/> once it is complete in storage.
/// <para>
/// Resume: when complete checkpoints of the run are already in storage (a killed process or worker), or
/// <see cref="TrainJob.ResumeFrom"/> names one, the job continues from the latest, after reporting the labels and every
/// scheduled checkpoint up to it again (a restarted orchestration waits for each; a live one ignores repeats). Stop: the
/// run's cancel marker (<see cref="StorageLayout.CancelMarker"/>) ends the job between steps with a failed result
/// "Canceled"; the cancellation token (the worker stopping) ends it by throwing, after saving a resume-only checkpoint when
/// that is cheap (LoRA), which is never reported.
/// </para>
/// </summary>
public sealed class TrainJobHandler(
    IBlobStorage storage,
    GpuModels models,
    ITrainingProgressSink progress,
    string scratchFolder,
    TrainJobSettings? settings = null,
    ILogger? logger = null,
    TimeProvider? time = null)
    : JobHandler<TrainJob>
{
    public const string LabelsName = "labels.json";
    public const string CanceledError = "Canceled";

    private readonly IBlobStorage _storage = storage ?? throw new ArgumentNullException(nameof(storage));
    private readonly GpuModels _models = models ?? throw new ArgumentNullException(nameof(models));
    private readonly ITrainingProgressSink _progress = progress ?? throw new ArgumentNullException(nameof(progress));
    private readonly string _scratchFolder = scratchFolder ?? throw new ArgumentNullException(nameof(scratchFolder));
    private readonly TrainJobSettings _settings = settings ?? TrainJobSettings.Default;
    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public override JobKind Kind => JobKind.Train;

    protected override async Task<JobResult> HandleAsync(TrainJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var run = new Attempt(this, job, cancellationToken);
        return await run.ExecuteAsync().ConfigureAwait(false);
    }

    /// <summary>One attempt at the job: its scratch, clock and cancel polling.</summary>
    private sealed class Attempt(TrainJobHandler owner, TrainJob job, CancellationToken cancellationToken)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly IReadOnlyList<int> _schedule = CheckpointSelection.Schedule(job.Options);
        private long _lastPoll = long.MinValue;
        private double _gpuBefore;

        private IBlobStorage Storage => owner._storage;

        private RunOptions Options => job.Options;

        /// <summary>GPU time of the job over all its attempts: the wall time of this one on top of the resumed checkpoint's.</summary>
        private double GpuSeconds => _gpuBefore + _clock.Elapsed.TotalSeconds;

        public async Task<JobResult> ExecuteAsync()
        {
            using var scratch = JobScratch.Create(owner._scratchFolder, job, Storage);
            if (await CancelRequestedAsync(force: true).ConfigureAwait(false))
            {
                return Canceled(0);
            }

            var baseModel = owner._models.Base(Options.BaseModel);
            var references = await scratch.ReadImagesAsync(job.ReferenceImages, cancellationToken).ConfigureAwait(false);
            var negatives = new List<LabeledNegative>();
            for (var p = 0; p < job.Negatives.Count; p++)
            {
                var images = await scratch.ReadImagesAsync(job.Negatives[p].Images, cancellationToken).ConfigureAwait(false);
                negatives.AddRange(images.Select(image => new LabeledNegative(image, p, job.Negatives[p].Prompt)));
            }

            if (negatives.Count == 0)
            {
                throw new ArgumentException($"Train job {job.JobId} has no negative images to pair with the references.", nameof(job));
            }

            var resume = await LatestCheckpointAsync().ConfigureAwait(false);
            _gpuBefore = resume?.Info.GpuSeconds ?? 0;
            var labels = await LabelsAsync(scratch, references, negatives, reported: resume is not null).ConfigureAwait(false);

            var options = new TrainingOptions
            {
                Steps = Options.Steps,
                ValEvery = Options.ValEvery,
                Beta = Options.Beta,
                LearningRate = Options.LearningRate,
                Seed = Options.Seed,
                Lora = Options.LoraRank is { } rank ? new LoraOptions(rank, rank) : null,
                Resolution = owner._settings.Resolution ?? baseModel.Resolution,
            };
            var data = new TrainingData(references, job.ReferencePrompt, [.. negatives.Select(n => n.Image)], labels);
            using var fineTuning = baseModel.FineTune(data, options);
            var trainer = fineTuning.Trainer;
            if (resume is { } from)
            {
                var local = await TrainCheckpoints.DownloadAsync(scratch, from.Folder, "resume", cancellationToken).ConfigureAwait(false);
                trainer.LoadCheckpoint(local);
                owner._logger.LogInformation("{JobId}: resuming at step {Step} from {Checkpoint}", job.JobId, trainer.Step, from.Folder);
                await ReportEarlierCheckpointsAsync(trainer.Step).ConfigureAwait(false);
            }

            return await TrainAsync(scratch, trainer).ConfigureAwait(false);
        }

        private async Task<JobResult> TrainAsync(JobScratch scratch, RpoTrainer trainer)
        {
            double loss = double.NaN;
            var lastSaved = trainer.Step;
            while (trainer.Step < Options.Steps)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    if (trainer.Lora is not null && trainer.Step > lastSaved)
                    {
                        // Small enough to write in the seconds a stopping container gets; a full UNet and its optimizer are not.
                        await SaveAsync(scratch, trainer, loss, scheduled: false, CancellationToken.None).ConfigureAwait(false);
                    }

                    cancellationToken.ThrowIfCancellationRequested();
                }

                if (await CancelRequestedAsync(force: false).ConfigureAwait(false))
                {
                    return Canceled(trainer.Step);
                }

                loss = trainer.TrainStep().Loss;
                if (_schedule.Contains(trainer.Step))
                {
                    var (model, info) = await SaveAsync(scratch, trainer, loss, scheduled: true, cancellationToken).ConfigureAwait(false);
                    lastSaved = trainer.Step;

                    // The figures kept with the checkpoint, so a resumed job reports it again identically.
                    await owner._progress.OnCheckpointSavedAsync(
                        new CheckpointSaved(job.RunId, info.Step, info.TotalSteps, info.Loss, model, info.GpuSeconds), cancellationToken).ConfigureAwait(false);
                }
            }

            return JobResult.Success(
                job,
                [job.CheckpointsFolder],
                new Dictionary<string, double>
                {
                    ["loss"] = double.IsFinite(loss) ? loss : 0,
                    ["labelsPreferringReference"] = trainer.LabelsPreferringReference,
                },
                GpuSeconds);
        }

        private async Task<(BlobRef Model, CheckpointInfo Info)> SaveAsync(JobScratch scratch, RpoTrainer trainer, double loss, bool scheduled, CancellationToken token)
        {
            var local = trainer.SaveCheckpoint(scratch.PathOf("checkpoints"));
            try
            {
                var info = new CheckpointInfo(trainer.Step, Options.Steps, double.IsFinite(loss) ? loss : 0, GpuSeconds, scheduled, TrainCheckpoints.ModelFolderName(trainer.Lora is not null));
                return (await TrainCheckpoints.UploadAsync(scratch, local, TrainCheckpoints.Folder(job.CheckpointsFolder, trainer.Step), info, token).ConfigureAwait(false), info);
            }
            finally
            {
                // Scratch holds one checkpoint at a time: a full SD UNet with its optimizer state is ~10 GB.
                Directory.Delete(local, recursive: true);
            }
        }

        /// <summary>The labels of this run: drawn now (and kept), or read back when an earlier attempt kept them.</summary>
        private async Task<PreferenceRecord> LabelsAsync(JobScratch scratch, IReadOnlyList<RgbImage> references, IReadOnlyList<LabeledNegative> negatives, bool reported)
        {
            var blob = StorageLayout.WorkFile(job.RunId, LabelsName);
            var path = scratch.PathOf(LabelsName);
            PreferenceRecord labels;
            if (await Storage.TryReadAsync(blob, cancellationToken).ConfigureAwait(false) is { } kept)
            {
                await File.WriteAllBytesAsync(path, kept.Content.ToArray(), cancellationToken).ConfigureAwait(false);
                labels = PreferenceRecord.Load(path);
                if (labels.Pairs.Count != negatives.Count)
                {
                    throw new InvalidDataException($"{blob} labels {labels.Pairs.Count} pairs; this job has {negatives.Count} negative images. Delete it to draw the labels again.");
                }
            }
            else
            {
                var reward = owner._models.Reward(Options.BaseModel, Options.Encoder);
                using (var scorer = new RewardModelScorer(reward, references))
                {
                    labels = PreferenceLabels.Build(references, negatives, scorer, Options.LambdaTrain, Options.Seed, job.Identifier, Options.PaperCompat);
                }

                labels.Save(path);
                await scratch.UploadAsync(path, blob, cancellationToken).ConfigureAwait(false);
            }

            owner._logger.LogInformation("{JobId}: {Preferring}/{Pairs} labels prefer the reference image", job.JobId, labels.LabelsPreferringReference, labels.Pairs.Count);

            // On a resume the time the labels took is inside the checkpoints' cumulative figures; report none of it twice.
            await owner._progress.OnLabelsDrawnAsync(new LabelsDrawn(job.RunId, blob, reported ? 0 : GpuSeconds), cancellationToken).ConfigureAwait(false);
            return labels;
        }

        private async Task<(BlobRef Folder, CheckpointInfo Info)?> LatestCheckpointAsync()
        {
            var complete = (await TrainCheckpoints.ListCompleteAsync(Storage, job.CheckpointsFolder, cancellationToken).ConfigureAwait(false)).ToList();
            if (job.ResumeFrom is { } from)
            {
                var folder = await ResumeFolderAsync(from).ConfigureAwait(false);
                complete.Add((folder, await TrainCheckpoints.ReadInfoAsync(Storage, folder.Combine(TrainCheckpoints.InfoName), cancellationToken).ConfigureAwait(false)));
            }

            return complete.Count == 0 ? null : complete.MaxBy(c => c.Info.Step);
        }

        /// <summary>ResumeFrom names a checkpoint folder, or its model folder (what CheckpointSaved reported).</summary>
        private async Task<BlobRef> ResumeFolderAsync(BlobRef from)
        {
            if (await Storage.ExistsAsync(from.Combine(TrainCheckpoints.InfoName), cancellationToken).ConfigureAwait(false))
            {
                return from;
            }

            var path = from.Path.TrimEnd('/');
            var cut = path.LastIndexOf('/');
            var parent = cut > 0 ? new BlobRef(from.Area, path[..(cut + 1)]) : null;
            return parent is not null && await Storage.ExistsAsync(parent.Combine(TrainCheckpoints.InfoName), cancellationToken).ConfigureAwait(false)
                ? parent
                : throw new BlobNotFoundException(from.Combine(TrainCheckpoints.InfoName), Storage.Location);
        }

        private async Task ReportEarlierCheckpointsAsync(int step)
        {
            var earlier = await TrainCheckpoints.ListCompleteAsync(Storage, job.CheckpointsFolder, cancellationToken).ConfigureAwait(false);
            foreach (var (folder, info) in earlier.Where(c => c.Info.Scheduled && c.Info.Step <= step && _schedule.Contains(c.Info.Step)))
            {
                await owner._progress.OnCheckpointSavedAsync(
                    new CheckpointSaved(job.RunId, info.Step, info.TotalSteps, info.Loss, folder.Combine(info.Model), info.GpuSeconds), cancellationToken).ConfigureAwait(false);
            }
        }

        /// <summary>Whether the run's cancel marker exists; looked at no more often than the settings allow unless forced.</summary>
        private async Task<bool> CancelRequestedAsync(bool force)
        {
            var now = owner._time.GetTimestamp();
            if (!force && _lastPoll != long.MinValue && owner._time.GetElapsedTime(_lastPoll, now) < owner._settings.CancelPollInterval)
            {
                return false;
            }

            _lastPoll = now;
            return await Storage.ExistsAsync(StorageLayout.CancelMarker(job.RunId), cancellationToken).ConfigureAwait(false);
        }

        private JobResult Canceled(int step)
        {
            owner._logger.LogInformation("{JobId}: the run was canceled; stopping after {Step} steps", job.JobId, step);
            return JobResult.Failure(job, CanceledError, $"canceled: the run was canceled after {step} of {Options.Steps} steps ({StorageLayout.CancelMarker(job.RunId)} exists).", GpuSeconds);
        }
    }
}
