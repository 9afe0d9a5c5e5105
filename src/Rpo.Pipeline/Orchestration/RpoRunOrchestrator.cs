using System.Globalization;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;
using Rpo.Pipeline.Subjects;

namespace Rpo.Pipeline.Orchestration;

/// <summary>
/// One RPO run, from uploads to a published model:
/// validate subject → negatives (one generate job per training prompt, in parallel) → train (one job, which scores the
/// negatives and draws the preference labels first, then reports each checkpoint as it is saved) → score each
/// checkpoint as soon as it exists, while training goes on → select the best (<see cref="CheckpointSelection"/>) →
/// publish → done. GPU work leaves as jobs through activities and comes back as external events, so this code only
/// waits; it does no I/O and reads no clock or random source outside the context, and logs through the replay-safe
/// logger.
/// <para>
/// Ends Failed (with a message naming each problem) for a refused subject, a failed or timed-out job, or a
/// publish that lost to another run. Cancel by raising <see cref="RunEvents.Cancel"/>: the run stops waiting at its
/// next step, publishes nothing and ends with <see cref="RunResultKind.Canceled"/> and its status says Canceled.
/// Cancel writes the run's cancel marker (<see cref="WriteCancelMarkerActivity"/>), which a running train job polls
/// between steps. Terminating the instance stops the orchestration without that outcome or marker, and does not stop a
/// GPU job already running; the worker's results for a finished run are dropped.
/// </para>
/// </summary>
public sealed class RpoRunOrchestrator : TaskOrchestrator<RunRequest, RunOutcome>
{
    /// <summary>Storage and queue hiccups: 5 tries, 2 s doubling to at most 1 min.</summary>
    public static TaskOptions ActivityRetry { get; } =
        TaskOptions.FromRetryPolicy(new RetryPolicy(5, TimeSpan.FromSeconds(2), backoffCoefficient: 2.0, maxRetryInterval: TimeSpan.FromMinutes(1)));

    public override async Task<RunOutcome> RunAsync(TaskOrchestrationContext context, RunRequest input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        using var run = new Run(context, input);
        try
        {
            return await run.ExecuteAsync().ConfigureAwait(true);
        }
        catch (RunFailedException e)
        {
            run.Status.Fail(e.Message);
            run.Log.LogWarning("Run {RunId} failed: {Message}", input.RunId, e.Message);
            throw;
        }
    }

    /// <summary>The state of one execution; rebuilt identically on every replay.</summary>
    private sealed class Run : IDisposable
    {
        private readonly TaskOrchestrationContext _context;
        private readonly RunRequest _request;
        private readonly Task<string?> _cancel;

        // Cancels the job-result waits (and their timeout timers) still pending when the run is canceled: a durable
        // timer left pending keeps the instance Running in the in-process host after the orchestrator returned.
        private readonly CancellationTokenSource _stopWaiting = new();
        private readonly Dictionary<int, CheckpointSaved> _checkpoints = [];
        private RunOptions _options = RunOptions.Default;
        private SubjectValidationResult? _subject;
        private IReadOnlyList<string> _prompts = [];

        public Run(TaskOrchestrationContext context, RunRequest request)
        {
            _context = context;
            _request = request;
            Log = context.CreateReplaySafeLogger<RpoRunOrchestrator>();
            Status = new StatusTracker(context);
            _cancel = context.WaitForExternalEvent<string?>(RunEvents.Cancel);
        }

        public ILogger Log { get; }

        public StatusTracker Status { get; }

        private RunId RunId => _request.RunId;

        public void Dispose() => _stopWaiting.Dispose();

        public async Task<RunOutcome> ExecuteAsync()
        {
            if (_request.RunId.SubjectId != _request.SubjectId)
            {
                throw new RunFailedException($"Run id '{_request.RunId}' is not a run of subject '{_request.SubjectId}'.");
            }

            // 1. The uploads.
            Status.Enter(RunStage.Validating);
            var subject = await _context.CallActivityAsync<SubjectValidationResult>(
                nameof(ValidateSubjectActivity), new ValidateSubjectInput(_request.SubjectId, _request.ClassNoun), ActivityRetry).ConfigureAwait(true);
            if (!subject.IsValid)
            {
                Status.Problems = subject.Problems;
                throw new RunFailedException(subject.Describe());
            }

            _subject = subject;
            _options = subject.Options;
            _prompts = [.. _request.PromptTemplates.Select(Prompt)];
            if (_prompts.Count == 0)
            {
                throw new RunFailedException("The run has no training prompts.");
            }

            var schedule = CheckpointSelection.Schedule(_options);
            Status.TotalSteps = _options.Steps;
            Status.CheckpointsTotal = schedule.Count;
            Status.NegativePrompts = _prompts.Count;
            Log.LogInformation("Run {RunId}: {Images} images of a {Class}, {Steps} steps, checkpoints at {Schedule}", RunId, subject.Images.Count, subject.ClassNoun, _options.Steps, string.Join(", ", schedule));

            // 2. Negatives: one generate job per training prompt, all at once.
            Status.Enter(RunStage.GeneratingNegatives);
            var negativesTask = Task.WhenAll(_prompts.Select((prompt, i) => GenerateNegativesAsync(prompt, i)));
            if (await Task.WhenAny(negativesTask, _cancel).ConfigureAwait(true) == _cancel)
            {
                return await CanceledAsync().ConfigureAwait(true);
            }

            var negatives = await negativesTask.ConfigureAwait(true);

            // 3-5. Train; score each checkpoint as soon as it is reported.
            Status.Enter(RunStage.ScoringNegatives);
            var train = new TrainJob(RunId, 0, _options, Prompt(_request.ReferencePromptTemplate), subject.Images, negatives, StorageLayout.CheckpointsFolder(RunId), Identifier: _request.Identifier);
            await _context.CallActivityAsync<string>(nameof(DispatchTrainJobActivity), train, ActivityRetry).ConfigureAwait(true);
            var scoring = await TrainAsync(schedule).ConfigureAwait(true);
            if (scoring is null)
            {
                return await CanceledAsync().ConfigureAwait(true);
            }

            Status.Enter(RunStage.ScoringCheckpoints);
            var rewardsTask = Task.WhenAll(scoring);
            if (await Task.WhenAny(rewardsTask, _cancel).ConfigureAwait(true) == _cancel)
            {
                return await CanceledAsync().ConfigureAwait(true);
            }

            var rewards = (await rewardsTask.ConfigureAwait(true)).OrderBy(r => r.Step).ToList();

            // 6. Select.
            Status.Enter(RunStage.Selecting);
            var best = CheckpointSelection.SelectBest(rewards);
            Log.LogInformation("Run {RunId}: best checkpoint step {Step} (reward {Reward})", RunId, best.Step, best.Reward);

            // 7. Publish.
            Status.Enter(RunStage.Publishing);
            var published = await _context.CallActivityAsync<PublishModelOutput>(
                nameof(PublishModelActivity),
                new PublishModelInput(
                    _request.SubjectId,
                    RunId,
                    _options,
                    rewards,
                    best.Step,
                    _checkpoints[best.Step].Checkpoint,
                    StorageLayout.CheckpointImages(RunId, best.Step),
                    Status.GpuSeconds,
                    Status.Elapsed),
                ActivityRetry).ConfigureAwait(true);
            if (published.Outcome == PublishOutcome.Conflict)
            {
                throw new RunFailedException(
                    $"Another run published version '{published.CurrentVersion}' of '{_request.SubjectId}' while this one published '{published.Version}'; "
                    + $"{published.Folder} is complete but latest.json does not point at it. Run again to make it current.");
            }

            Status.Enter(RunStage.Completed, $"Published {published.Folder} (step {best.Step}, reward {best.Reward.ToString("0.####", CultureInfo.InvariantCulture)}).");
            return new RunOutcome(RunId, RunResultKind.Succeeded, Status.Message!, rewards, best.Step, best.Reward, published.Version, published.Folder, Status.GpuSeconds, Status.Elapsed);
        }

        /// <summary>Waits for the train job's reports; null when the run was canceled.</summary>
        private async Task<List<Task<CheckpointReward>>?> TrainAsync(IReadOnlyList<int> schedule)
        {
            var timeout = TimeSpan.FromSeconds(_request.TrainingTimeoutSeconds);
            using var timerCancel = new CancellationTokenSource();
            var deadline = _context.CreateTimer(_context.CurrentUtcDateTime + timeout, timerCancel.Token);
            var completed = _context.WaitForExternalEvent<JobResult>(RunEvents.TrainCompleted);
            var labels = _context.WaitForExternalEvent<LabelsDrawn>(RunEvents.LabelsDrawn);
            var labelsSeen = false;
            var scoring = new List<Task<CheckpointReward>>();
            var next = 0;
            var checkpoint = _context.WaitForExternalEvent<CheckpointSaved>(RunEvents.CheckpointSaved(schedule[0]));
            double trainGpuSeconds = 0;
            while (true)
            {
                // The checkpoint first: when it and the completion are both in, the checkpoint is taken before the end.
                var waits = new List<Task>();
                if (checkpoint is not null)
                {
                    waits.Add(checkpoint);
                }

                if (!labelsSeen)
                {
                    waits.Add(labels);
                }

                waits.AddRange([completed, deadline, _cancel]);
                var first = await Task.WhenAny(waits).ConfigureAwait(true);
                if (first == checkpoint)
                {
                    var saved = await checkpoint.ConfigureAwait(true);
                    _checkpoints[saved.Step] = saved;
                    Status.GpuSeconds += saved.GpuSeconds - trainGpuSeconds;
                    trainGpuSeconds = saved.GpuSeconds;
                    Status.Step = saved.Step;
                    Status.Loss = saved.Loss;
                    Status.Enter(RunStage.Training);
                    scoring.Add(ScoreCheckpointAsync(saved, next));
                    next++;
                    checkpoint = next < schedule.Count ? _context.WaitForExternalEvent<CheckpointSaved>(RunEvents.CheckpointSaved(schedule[next])) : null;
                }
                else if (first == labels)
                {
                    labelsSeen = true;
                    var drawn = await labels.ConfigureAwait(true);
                    Status.GpuSeconds += drawn.GpuSeconds - trainGpuSeconds;
                    trainGpuSeconds = drawn.GpuSeconds;
                    Status.Enter(RunStage.Training);
                }
                else if (first == completed)
                {
                    timerCancel.Cancel();
                    var result = await completed.ConfigureAwait(true);

                    // The job saw the cancel marker before this run saw the cancel event (they race): still a cancel.
                    if (result.Error?.Type == JobError.Canceled)
                    {
                        return null;
                    }

                    if (!result.Succeeded)
                    {
                        throw new RunFailedException($"Training failed: {result.Error?.Type}: {result.Error?.Message}");
                    }

                    Status.GpuSeconds += Math.Max(0, result.GpuSeconds - trainGpuSeconds);
                    if (next < schedule.Count)
                    {
                        throw new RunFailedException(
                            $"Training completed without reporting the checkpoint(s) at step {string.Join(", ", schedule.Skip(next))}; expected one every {_options.ValEvery} steps.");
                    }

                    return scoring;
                }
                else if (first == deadline)
                {
                    throw new RunFailedException(
                        $"Training timed out: the train job sent no result within {timeout} (last checkpoint: {(Status.Step > 0 ? $"step {Status.Step}" : "none")} of {_options.Steps} steps).");
                }
                else
                {
                    timerCancel.Cancel();
                    return null;
                }
            }
        }

        private async Task<PromptImages> GenerateNegativesAsync(string prompt, int index)
        {
            // Seeds as if one job made every prompt's images (image k of prompt i: seed + i·n + k), so no two share noise.
            var job = new GenerateJob(
                RunId,
                index,
                _options.BaseModel,
                null,
                [prompt],
                _options.Negatives,
                _options.Seed + ((long)index * _options.Negatives),
                StorageLayout.NegativesFolder(RunId).Combine($"{index:D2}/"),
                _options.SampleSteps,
                _options.GuidanceScale);
            await _context.CallActivityAsync<string>(nameof(DispatchGenerateJobActivity), job, ActivityRetry).ConfigureAwait(true);
            var result = await WaitForResultAsync(job).ConfigureAwait(true);
            if (result.Outputs.Count == 0)
            {
                throw new RunFailedException($"Job {job.JobId} generated no images for \"{prompt}\".");
            }

            Status.GpuSeconds += result.GpuSeconds;
            Status.NegativesGenerated++;
            Status.Publish();
            return new PromptImages(prompt, result.Outputs);
        }

        private async Task<CheckpointReward> ScoreCheckpointAsync(CheckpointSaved saved, int ordinal)
        {
            var job = new ScoreCheckpointJob(
                RunId,
                ordinal,
                saved.Step,
                _options,
                saved.Checkpoint,
                _subject!.Images,
                _prompts,
                StorageLayout.CheckpointScore(RunId, saved.Step),
                _request.Identifier);
            await _context.CallActivityAsync<string>(nameof(DispatchScoreCheckpointJobActivity), job, ActivityRetry).ConfigureAwait(true);
            var result = await WaitForResultAsync(job).ConfigureAwait(true);
            if (!result.Metrics.TryGetValue(ScoreMetrics.Reward, out var reward))
            {
                throw new RunFailedException($"Job {job.JobId} reported no '{ScoreMetrics.Reward}' metric for the checkpoint at step {saved.Step}.");
            }

            Status.GpuSeconds += result.GpuSeconds;
            Status.Scored(saved.Step, reward);
            return new CheckpointReward(saved.Step, reward);
        }

        private async Task<JobResult> WaitForResultAsync(Job job)
        {
            var timeout = TimeSpan.FromSeconds(_request.JobTimeoutSeconds);
            JobResult result;
            try
            {
                result = await _context.WaitForExternalEvent<JobResult>(RunEvents.ForJob(job), timeout, _stopWaiting.Token).ConfigureAwait(true);
            }
            catch (OperationCanceledException)
            {
                throw new RunFailedException($"Job {job.JobId} sent no result within {timeout}.");
            }

            return result.Succeeded ? result : throw new RunFailedException($"Job {job.JobId} failed: {result.Error?.Type}: {result.Error?.Message}");
        }

        private async Task<RunOutcome> CanceledAsync()
        {
            var reason = _cancel.IsCompletedSuccessfully && _cancel.Result is { Length: > 0 } given ? given : null;
            _stopWaiting.Cancel();

            // A GPU job already running cannot hear this orchestration's events; it polls the run's cancel marker.
            await _context.CallActivityAsync<string>(nameof(WriteCancelMarkerActivity), new CancelMarkerInput(RunId, reason), ActivityRetry).ConfigureAwait(true);
            Status.Enter(RunStage.Canceled, $"Canceled{(reason is not null ? ": " + reason : "")}; nothing was published.");
            Log.LogInformation("Run {RunId} canceled", RunId);
            var rewards = Status.Rewards.OrderBy(r => r.Step).ToList();
            return new RunOutcome(RunId, RunResultKind.Canceled, Status.Message!, rewards, null, null, null, null, Status.GpuSeconds, Status.Elapsed);
        }

        private string Prompt(string template) => string.Format(CultureInfo.InvariantCulture, template, _request.Identifier, _subject!.ClassNoun);
    }

    /// <summary>Builds <see cref="RunStatus"/> and sets it as the custom status after every change.</summary>
    private sealed class StatusTracker(TaskOrchestrationContext context)
    {
        private readonly DateTime _started = context.CurrentUtcDateTime;
        private readonly List<RunStage> _stages = [];

        public List<CheckpointReward> Rewards { get; } = [];

        public RunStage Stage { get; private set; } = RunStage.Validating;

        public int Step { get; set; }

        public int TotalSteps { get; set; }

        public double? Loss { get; set; }

        public int NegativesGenerated { get; set; }

        public int NegativePrompts { get; set; }

        public int CheckpointsTotal { get; set; }

        public double GpuSeconds { get; set; }

        public string? Message { get; private set; }

        public IReadOnlyList<SubjectProblem> Problems { get; set; } = [];

        public double Elapsed => (context.CurrentUtcDateTime - _started).TotalSeconds;

        public void Enter(RunStage stage, string? message = null)
        {
            // Training and scoring interleave; the stage list records each stage once, when first entered.
            if (!_stages.Contains(stage))
            {
                _stages.Add(stage);
            }

            Stage = stage;
            Message = message ?? Message;
            Publish();
        }

        public void Scored(int step, double reward)
        {
            Rewards.Add(new CheckpointReward(step, reward));
            Publish();
        }

        public void Fail(string message)
        {
            Message = message;
            Enter(RunStage.Failed, message);
        }

        public void Publish()
        {
            var best = Rewards.Count == 0 ? null : CheckpointSelection.SelectBest(Rewards);
            context.SetCustomStatus(new RunStatus(
                Stage,
                [.. _stages],
                Step,
                TotalSteps,
                Loss,
                NegativesGenerated,
                NegativePrompts,
                Rewards.Count,
                CheckpointsTotal,
                best?.Reward,
                best?.Step,
                Elapsed,
                GpuSeconds,
                Message,
                Problems));
        }
    }
}
