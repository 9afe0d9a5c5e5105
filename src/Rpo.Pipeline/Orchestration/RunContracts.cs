using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;
using Rpo.Pipeline.Subjects;

namespace Rpo.Pipeline.Orchestration;

/// <summary>
/// What starts a run: the orchestration's input. The instance id is <see cref="RunId"/>'s value, so one upload starts
/// one instance. Options are not here: they come from the subject's subject.json, which the run id already hashes.
/// </summary>
/// <param name="ClassNoun">The subject's class when the starter knows it (<c>rpo run --class</c>); else subject.json's.</param>
/// <param name="PromptTemplates">The training prompts, "{0}" the identifier and "{1}" the class noun
/// ("a {0} {1} in the snow"); the trainer's lists provide them.</param>
/// <param name="ReferencePromptTemplate">The reference images' prompt.</param>
/// <param name="Identifier">The rare token [V] that comes to mean the subject.</param>
/// <param name="TrainingTimeoutSeconds">How long the train job may take, from its dispatch to its result, before the run fails.</param>
/// <param name="JobTimeoutSeconds">How long a generate or score job may take before the run fails.</param>
public sealed record RunRequest(
    string SubjectId,
    RunId RunId,
    string? ClassNoun,
    IReadOnlyList<string> PromptTemplates,
    string ReferencePromptTemplate = "a photo of {0} {1}",
    string Identifier = RunRequest.DefaultIdentifier,
    double TrainingTimeoutSeconds = 6 * 3600,
    double JobTimeoutSeconds = 3600)
{
    /// <summary>The rare token DreamBooth's and RPO's code use for the subject.</summary>
    public const string DefaultIdentifier = "sks";
}

public enum RunStage
{
    Validating,
    GeneratingNegatives,
    ScoringNegatives,
    Training,
    ScoringCheckpoints,
    Selecting,
    Publishing,
    Completed,
    Failed,
    Canceled,
}

/// <summary>
/// The orchestration's custom status, replaced at every stage and event: what a status page or <c>rpo status</c> shows.
/// </summary>
/// <param name="Stages">Every stage entered so far, in order (the last is the current one).</param>
/// <param name="Step">Optimiser steps done, as of the latest checkpoint.</param>
/// <param name="Loss">The training loss the latest checkpoint reported.</param>
/// <param name="Problems">Why the run failed, file by file, when it did.</param>
public sealed record RunStatus(
    RunStage Stage,
    IReadOnlyList<RunStage> Stages,
    int Step,
    int TotalSteps,
    double? Loss,
    int NegativesGenerated,
    int NegativePrompts,
    int CheckpointsScored,
    int CheckpointsTotal,
    double? BestReward,
    int? BestStep,
    double ElapsedSeconds,
    double GpuSeconds,
    string? Message,
    IReadOnlyList<SubjectProblem> Problems);

public enum RunResultKind
{
    Succeeded,
    Canceled,
}

/// <summary>The orchestration's output when it ends without failing (a failed run ends Failed with the message instead).</summary>
public sealed record RunOutcome(
    RunId RunId,
    RunResultKind Result,
    string Message,
    IReadOnlyList<CheckpointReward> Checkpoints,
    int? BestStep,
    double? BestReward,
    string? Version,
    BlobRef? Published,
    double GpuSeconds,
    double ElapsedSeconds);

/// <summary>The trainer's report that preference labels are drawn (negatives scored): training proper starts.</summary>
/// <param name="GpuSeconds">GPU time of the train job so far (cumulative, like every later report of the job).</param>
public sealed record LabelsDrawn(RunId RunId, BlobRef Labels, double GpuSeconds);

/// <summary>The trainer's report that the checkpoint after <paramref name="Step"/> steps is complete in storage.</summary>
/// <param name="GpuSeconds">GPU time of the train job so far (cumulative).</param>
public sealed record CheckpointSaved(RunId RunId, int Step, int TotalSteps, double Loss, BlobRef Checkpoint, double GpuSeconds);

/// <summary>Reports of a running train job, before its <see cref="JobResult"/>: the GPU worker calls these as it goes.</summary>
public interface ITrainingProgressSink
{
    Task OnLabelsDrawnAsync(LabelsDrawn report, CancellationToken cancellationToken);

    Task OnCheckpointSavedAsync(CheckpointSaved report, CancellationToken cancellationToken);
}

/// <summary>The metric names a score-checkpoint job reports in <see cref="JobResult.Metrics"/>.</summary>
public static class ScoreMetrics
{
    /// <summary>Mean R_λval over the validation images.</summary>
    public const string Reward = "reward";
}

/// <summary>The names of the external events the orchestration waits for.</summary>
public static class RunEvents
{
    /// <summary>Cancels the run (payload: an optional reason string). Publishes nothing; the outcome says Canceled.</summary>
    public const string Cancel = "cancel";

    public const string LabelsDrawn = "labels-drawn";

    public const string TrainCompleted = "train-completed";

    public static string CheckpointSaved(int step) => $"checkpoint-{step}";

    /// <summary>"train-completed" for the train job; "{kind}-{index}" ("generate-3", "score-checkpoint-0") for the others.</summary>
    public static string ForJob(JobKind kind, int index) => kind == JobKind.Train ? TrainCompleted : $"{kind.ToName()}-{index}";

    public static string ForJob(Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return ForJob(job.Kind, job.Index);
    }

    public static string ForResult(JobResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return ForJob(result.Kind, result.Index);
    }
}

/// <summary>Ends a run as Failed with a message a user can act on.</summary>
public sealed class RunFailedException : Exception
{
    public RunFailedException()
    {
    }

    public RunFailedException(string message)
        : base(message)
    {
    }

    public RunFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
