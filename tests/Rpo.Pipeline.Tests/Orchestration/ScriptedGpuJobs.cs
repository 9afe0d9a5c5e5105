using System.Collections.Concurrent;
using System.Text;
using Rpo.Diffusion.Imaging;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Storage;
using Rpo.Pipeline.Tests.Subjects;

namespace Rpo.Pipeline.Tests.Orchestration;

/// <summary>
/// Stand-ins for the GPU worker's handlers, for orchestration tests: they write plausible result blobs (PNGs, a
/// checkpoint folder, score JSON) and report like the worker does, without any model, so these tests can script
/// rewards and timing. The real handlers are Rpo.Pipeline.Gpu's (tests in Gpu/). Every job's start and end is recorded,
/// to check what overlapped.
/// </summary>
internal sealed class ScriptedGpuJobs(IBlobStorage storage, Func<ITrainingProgressSink> progress, IReadOnlyDictionary<int, double> rewards)
{
    private readonly ConcurrentDictionary<int, TaskCompletionSource> _scoreStarted = new();

    private IBlobStorage Storage => storage;

    private ITrainingProgressSink Progress => progress();

    private double RewardAt(int step) => rewards[step];

    public ConcurrentDictionary<string, (DateTimeOffset Start, DateTimeOffset End)> Times { get; } = new();

    public ConcurrentDictionary<string, DateTimeOffset> Starts { get; } = new();

    /// <summary>When false, the train job never reports and runs until canceled (a lost worker).</summary>
    public bool TrainingHangs { get; init; }

    public IJobHandler[] Handlers => [new Generate(this), new Train(this), new Score(this)];

    private TaskCompletionSource ScoreStarted(int step) => _scoreStarted.GetOrAdd(step, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private async Task<JobResult> TimedAsync(Job job, Func<Task<JobResult>> work)
    {
        var start = DateTimeOffset.UtcNow;
        Starts[job.JobId] = start;
        var result = await work();
        Times[job.JobId] = (start, DateTimeOffset.UtcNow);
        return result;
    }

    private static byte[] SmallPng(int seed) => PngWriter.Encode(SubjectUploads.Noise(32, 32, seed));

    private sealed class Generate(ScriptedGpuJobs owner) : JobHandler<GenerateJob>
    {
        public override JobKind Kind => JobKind.Generate;

        protected override Task<JobResult> HandleAsync(GenerateJob job, CancellationToken cancellationToken) => owner.TimedAsync(job, async () =>
        {
            var outputs = new List<BlobRef>();
            for (var p = 0; p < job.Prompts.Count; p++)
            {
                for (var i = 0; i < job.ImagesPerPrompt; i++)
                {
                    var blob = job.OutputFolder.Combine($"{p:D2}/{i:D3}.png");
                    await owner.Storage.WriteAsync(blob, SmallPng((job.Index * 100) + i), cancellationToken: cancellationToken);
                    outputs.Add(blob);
                }
            }

            return JobResult.Success(job, outputs, gpuSeconds: 2);
        });
    }

    private sealed class Train(ScriptedGpuJobs owner) : JobHandler<TrainJob>
    {
        public override JobKind Kind => JobKind.Train;

        protected override Task<JobResult> HandleAsync(TrainJob job, CancellationToken cancellationToken) => owner.TimedAsync(job, async () =>
        {
            if (owner.TrainingHangs)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            var sink = owner.Progress;
            var labels = StorageLayout.WorkFile(job.RunId, "labels.json");
            await owner.Storage.WriteAsync(labels, Encoding.UTF8.GetBytes("""{"labels":[1,0,1]}"""), cancellationToken: cancellationToken);
            await sink.OnLabelsDrawnAsync(new LabelsDrawn(job.RunId, labels, 3), cancellationToken);
            var gpu = 3.0;
            foreach (var step in CheckpointSelection.Schedule(job.Options))
            {
                var folder = job.CheckpointsFolder.Combine($"step-{step:D5}/");
                await owner.Storage.WriteAsync(folder.Combine("config.json"), Encoding.UTF8.GetBytes("""{"_class_name":"UNet2DConditionModel"}"""), cancellationToken: cancellationToken);
                await owner.Storage.WriteAsync(folder.Combine("diffusion_pytorch_model.safetensors"), Encoding.UTF8.GetBytes($"weights after {step} steps"), cancellationToken: cancellationToken);
                gpu += 10;
                await sink.OnCheckpointSavedAsync(new CheckpointSaved(job.RunId, step, job.Options.Steps, 1.0 / step, folder, gpu), cancellationToken);

                // A real trainer takes minutes between checkpoints; this one goes on once the orchestration has started
                // scoring the checkpoint (or after 20 s, so an orchestration that waits for the end still finishes).
                await Task.WhenAny(owner.ScoreStarted(step).Task, Task.Delay(TimeSpan.FromSeconds(20), cancellationToken));
            }

            return JobResult.Success(job, [job.CheckpointsFolder], new Dictionary<string, double> { ["loss"] = 0.1 }, gpu);
        });
    }

    private sealed class Score(ScriptedGpuJobs owner) : JobHandler<ScoreCheckpointJob>
    {
        public override JobKind Kind => JobKind.ScoreCheckpoint;

        protected override Task<JobResult> HandleAsync(ScoreCheckpointJob job, CancellationToken cancellationToken) => owner.TimedAsync(job, async () =>
        {
            owner.ScoreStarted(job.Step).TrySetResult();
            var images = StorageLayout.CheckpointImages(job.RunId, job.Step);
            for (var i = 0; i < job.Options.ValImages; i++)
            {
                await owner.Storage.WriteAsync(images.Combine($"{i:D3}.png"), SmallPng(1000 + i), cancellationToken: cancellationToken);
            }

            var reward = owner.RewardAt(job.Step);
            await owner.Storage.WriteAsync(job.Output, Encoding.UTF8.GetBytes($$"""{"step":{{job.Step}},"reward":{{reward}}}"""), cancellationToken: cancellationToken);
            return JobResult.Success(job, [job.Output, images], new Dictionary<string, double> { [ScoreMetrics.Reward] = reward }, gpuSeconds: 1);
        });
    }
}
