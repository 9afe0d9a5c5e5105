using System.Text.Json;
using System.Text.Json.Nodes;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Runs;

namespace Rpo.Pipeline.Jobs;

/// <summary>
/// One message of the job-results queue: what a GPU worker reports to the waiting run — a job's
/// <see cref="JobResult"/>, or a running train job's <see cref="LabelsDrawn"/> / <see cref="CheckpointSaved"/>.
/// The orchestration host turns each into the run's external event (<see cref="DeliverAsync(JobResultEventRaiser, CancellationToken)"/>).
/// </summary>
public abstract record JobReport
{
    private protected JobReport()
    {
    }

    /// <summary>The run (= orchestration instance) the report is for.</summary>
    public abstract RunId RunId { get; }

    /// <summary>The envelope's "type": "job-result", "labels-drawn" or "checkpoint-saved".</summary>
    public abstract string Type { get; }

    /// <summary>The name of the external event it becomes (<see cref="RunEvents"/>).</summary>
    public abstract string EventName { get; }

    /// <summary>Hands the report to the sink of its kind.</summary>
    public abstract Task DeliverAsync(IJobResultSink results, ITrainingProgressSink progress, CancellationToken cancellationToken);

    /// <summary>Raises the report as the run's external event.</summary>
    public Task DeliverAsync(JobResultEventRaiser raiser, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(raiser);
        return DeliverAsync(raiser, raiser, cancellationToken);
    }

    private protected abstract object Body { get; }

    internal JsonNode BodyNode() => JsonSerializer.SerializeToNode(Body, Body.GetType(), RunJson.Options)!;
}

public sealed record JobResultReport(JobResult Result) : JobReport
{
    public const string TypeName = "job-result";

    public override RunId RunId => Result.RunId;

    public override string Type => TypeName;

    public override string EventName => RunEvents.ForResult(Result);

    private protected override object Body => Result;

    public override Task DeliverAsync(IJobResultSink results, ITrainingProgressSink progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(results);
        return results.OnJobCompletedAsync(Result, cancellationToken);
    }
}

public sealed record LabelsDrawnReport(LabelsDrawn Report) : JobReport
{
    public const string TypeName = "labels-drawn";

    public override RunId RunId => Report.RunId;

    public override string Type => TypeName;

    public override string EventName => RunEvents.LabelsDrawn;

    private protected override object Body => Report;

    public override Task DeliverAsync(IJobResultSink results, ITrainingProgressSink progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(progress);
        return progress.OnLabelsDrawnAsync(Report, cancellationToken);
    }
}

public sealed record CheckpointSavedReport(CheckpointSaved Report) : JobReport
{
    public const string TypeName = "checkpoint-saved";

    public override RunId RunId => Report.RunId;

    public override string Type => TypeName;

    public override string EventName => RunEvents.CheckpointSaved(Report.Step);

    private protected override object Body => Report;

    public override Task DeliverAsync(IJobResultSink results, ITrainingProgressSink progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(progress);
        return progress.OnCheckpointSavedAsync(Report, cancellationToken);
    }
}

/// <summary>
/// The JSON of the job-results queue: <c>{ "type": "checkpoint-saved", "body": { ...the report... } }</c>, the body
/// being the report's own JSON (<see cref="JobMessages"/> for a <see cref="JobResult"/>). Read strictly like
/// <see cref="JobMessages"/>: anything missing, unknown or inconsistent is a <see cref="JobParseException"/> naming the
/// field ("type", "body.step"). One queue carries all three, so the reader cannot tell them apart by the queue.
/// </summary>
public static class JobReports
{
    public const string TypeProperty = "type";
    public const string BodyProperty = "body";

    public static IReadOnlyList<string> Types { get; } = [JobResultReport.TypeName, LabelsDrawnReport.TypeName, CheckpointSavedReport.TypeName];

    public static BinaryData Serialize(JobReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var envelope = new JsonObject { [TypeProperty] = report.Type, [BodyProperty] = report.BodyNode() };
        return BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(envelope, RunJson.Options));
    }

    public static BinaryData Serialize(JobResult result) => Serialize(new JobResultReport(result));

    public static BinaryData Serialize(LabelsDrawn report) => Serialize(new LabelsDrawnReport(report));

    public static BinaryData Serialize(CheckpointSaved report) => Serialize(new CheckpointSavedReport(report));

    public static JobReport Parse(BinaryData message)
    {
        ArgumentNullException.ThrowIfNull(message);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(message.ToMemory().Span);
        }
        catch (JsonException e)
        {
            throw new JobParseException("$", $"not valid JSON ({e.Message})", e);
        }

        if (root is not JsonObject envelope)
        {
            throw new JobParseException("$", $"expected a JSON object, found {root?.GetValueKind().ToString() ?? "null"}");
        }

        if (!envelope.TryGetPropertyValue(TypeProperty, out var typeNode) || typeNode is null)
        {
            throw new JobParseException(TypeProperty, $"missing; expected one of {string.Join(", ", Types)}");
        }

        var type = typeNode.GetValueKind() == JsonValueKind.String ? typeNode.GetValue<string>() : null;
        if (!envelope.TryGetPropertyValue(BodyProperty, out var bodyNode) || bodyNode is null)
        {
            throw new JobParseException(BodyProperty, "missing (required)");
        }

        var body = BinaryData.FromString(bodyNode.ToJsonString());
        return type switch
        {
            JobResultReport.TypeName => new JobResultReport(InBody(() => JobMessages.ParseResult(body))),
            LabelsDrawnReport.TypeName => new LabelsDrawnReport(InBody(() => Checked(JobMessages.Deserialize<LabelsDrawn>(body), CheckLabels))),
            CheckpointSavedReport.TypeName => new CheckpointSavedReport(InBody(() => Checked(JobMessages.Deserialize<CheckpointSaved>(body), CheckCheckpoint))),
            _ => throw new JobParseException(TypeProperty, $"'{typeNode.ToJsonString()}' is not a report type; expected one of {string.Join(", ", Types)}"),
        };
    }

    private static T InBody<T>(Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (JobParseException e)
        {
            var field = e.Field == "$" ? BodyProperty : $"{BodyProperty}.{e.Field}";
            throw new JobParseException(field, e.Reason, e);
        }
    }

    private static T Checked<T>(T value, Action<T, List<(string Field, string Problem)>> check)
    {
        var problems = new List<(string Field, string Problem)>();
        check(value, problems);
        return problems.Count == 0 ? value : throw new JobParseException(problems[0].Field, problems[0].Problem);
    }

    private static void CheckLabels(LabelsDrawn report, List<(string Field, string Problem)> problems)
    {
        if (report.Labels.IsFolder)
        {
            problems.Add(("labels", $"'{report.Labels}' must be a blob, not a folder"));
        }

        GpuSeconds(report.GpuSeconds, problems);
    }

    private static void CheckCheckpoint(CheckpointSaved report, List<(string Field, string Problem)> problems)
    {
        if (report.Step < 1)
        {
            problems.Add(("step", $"must be at least 1 (got {report.Step})"));
        }

        if (report.TotalSteps < report.Step)
        {
            problems.Add(("totalSteps", $"must be at least the step ({report.Step}), got {report.TotalSteps}"));
        }

        if (!double.IsFinite(report.Loss))
        {
            problems.Add(("loss", $"must be finite (got {report.Loss})"));
        }

        if (!report.Checkpoint.IsFolder)
        {
            problems.Add(("checkpoint", $"'{report.Checkpoint}' must be a folder (end with '/')"));
        }

        GpuSeconds(report.GpuSeconds, problems);
    }

    private static void GpuSeconds(double value, List<(string Field, string Problem)> problems)
    {
        if (!double.IsFinite(value) || value < 0)
        {
            problems.Add(("gpuSeconds", $"must be a finite number >= 0 (got {value})"));
        }
    }
}
