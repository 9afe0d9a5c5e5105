using System.Text.Json.Serialization;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Jobs;

public enum JobStatus
{
    Succeeded,
    Failed,
}

/// <summary>Why a job failed: the exception type (or a reason code) and a message for the user / log.</summary>
public sealed record JobError(string Type, string Message)
{
    /// <summary>The job stopped because its run's cancel marker appeared: the run was canceled, nothing failed.</summary>
    public const string Canceled = "Canceled";
}

/// <summary>
/// What a worker reports for a job: outputs as blob references, numbers (rewards, losses) as metrics, and the GPU
/// time it took. Delivered to the waiting orchestration as an external event.
/// </summary>
public sealed record JobResult(
    RunId RunId,
    JobKind Kind,
    int Index,
    JobStatus Status,
    IReadOnlyList<BlobRef> Outputs,
    IReadOnlyDictionary<string, double> Metrics,
    double GpuSeconds,
    JobError? Error = null)
{
    [JsonIgnore]
    public string JobId => JobKinds.JobId(RunId.Value, Kind, Index);

    [JsonIgnore]
    public bool Succeeded => Status == JobStatus.Succeeded;

    public static JobResult Success(Job job, IReadOnlyList<BlobRef> outputs, IReadOnlyDictionary<string, double>? metrics = null, double gpuSeconds = 0)
    {
        ArgumentNullException.ThrowIfNull(job);
        return new JobResult(job.RunId, job.Kind, job.Index, JobStatus.Succeeded, outputs, metrics ?? new Dictionary<string, double>(), gpuSeconds);
    }

    public static JobResult Failure(Job job, string errorType, string message, double gpuSeconds = 0)
    {
        ArgumentNullException.ThrowIfNull(job);
        return new JobResult(job.RunId, job.Kind, job.Index, JobStatus.Failed, [], new Dictionary<string, double>(), gpuSeconds, new JobError(errorType, message));
    }

    /// <summary>Problems a well-formed message can still have, each naming its field; empty when consistent.</summary>
    public IReadOnlyList<(string Field, string Problem)> Check()
    {
        var problems = new List<(string, string)>();
        if (Status == JobStatus.Failed && Error is null)
        {
            problems.Add(("error", "a failed result must say why"));
        }

        if (Status == JobStatus.Succeeded && Error is not null)
        {
            problems.Add(("error", "a succeeded result must not carry an error"));
        }

        if (Index < 0)
        {
            problems.Add(("index", $"must be >= 0 (got {Index})"));
        }

        for (var i = 0; i < Outputs.Count; i++)
        {
            if (Outputs[i] is null)
            {
                problems.Add(($"outputs[{i}]", "is null"));
            }
        }

        if (!double.IsFinite(GpuSeconds) || GpuSeconds < 0)
        {
            problems.Add(("gpuSeconds", $"must be a finite number >= 0 (got {GpuSeconds})"));
        }

        foreach (var (name, value) in Metrics)
        {
            if (!double.IsFinite(value))
            {
                problems.Add(($"metrics.{name}", $"must be finite (got {value})"));
            }
        }

        return problems;
    }
}
