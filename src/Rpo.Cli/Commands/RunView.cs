using System.Globalization;
using Rpo.Pipeline.Local;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Storage;
using Spectre.Console;

namespace Rpo.Cli.Commands;

/// <summary>How a run's mirrored state reads on the console: one live line for <c>rpo run</c>, the summary, and <c>rpo status</c>'s table.</summary>
static class RunView
{
    static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>"training · step 20/40 · loss 0.0312 · checkpoints 1/4 · best 0.5213 @ 10".</summary>
    public static string Line(RunStatusDocument document)
    {
        var status = document.Status;
        if (status is null) return document.StateName;
        var parts = new List<string> { StageName(status.Stage) };
        if (status.NegativePrompts > 0 && status.Stage == RunStage.GeneratingNegatives)
            parts.Add($"negatives {status.NegativesGenerated}/{status.NegativePrompts} prompts");
        if (status.TotalSteps > 0 && status.Stages.Contains(RunStage.ScoringNegatives)) parts.Add($"step {status.Step}/{status.TotalSteps}");
        if (status.Loss is { } loss) parts.Add("loss " + loss.ToString("0.0000", Invariant));
        if (status.CheckpointsTotal > 0) parts.Add($"checkpoints {status.CheckpointsScored}/{status.CheckpointsTotal}");
        if (status.BestReward is { } best) parts.Add($"best {best.ToString("0.0000", Invariant)} @ {status.BestStep}");
        return string.Join(" · ", parts);
    }

    /// <summary>"generating negatives" for GeneratingNegatives.</summary>
    public static string StageName(RunStage stage) =>
        string.Concat(stage.ToString().Select((c, i) => i > 0 && char.IsUpper(c) ? " " + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    public static string Seconds(double seconds) => TimeSpan.FromSeconds(Math.Round(seconds)).ToString("c", Invariant);

    /// <summary>The end of a run: what was published and how it was chosen, or why it failed or stopped.</summary>
    public static void WriteSummary(RunStatusDocument document, IBlobStorage storage, string subjectId)
    {
        if (document.Succeeded && document.Outcome is { } outcome)
        {
            AnsiConsole.MarkupLineInterpolated($"[green]published[/] {storage.Location}: {StorageLayout.ModelVersionFolder(subjectId, outcome.Version!)}");
            AnsiConsole.MarkupLineInterpolated($"best checkpoint: step {outcome.BestStep} (reward {outcome.BestReward?.ToString("0.000000", Invariant)})");
            AnsiConsole.Write(Rewards(outcome.Checkpoints, outcome.BestStep));
            AnsiConsole.MarkupLineInterpolated($"run time {Seconds(outcome.ElapsedSeconds)}, GPU jobs {Seconds(outcome.GpuSeconds)}");
        }
        else if (document.Canceled)
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]{document.Outcome?.Message ?? "canceled"}[/]");
        }
        else
        {
            AnsiConsole.MarkupLineInterpolated($"[red]{document.StateName}[/]: {document.Failure ?? document.Status?.Message ?? "no message"}");
        }
    }

    public static Table Rewards(IEnumerable<CheckpointReward> checkpoints, int? bestStep)
    {
        var table = new Table().AddColumns("checkpoint (step)", "mean reward R_λval", "");
        foreach (var checkpoint in checkpoints.OrderBy(c => c.Step))
            table.AddRow(checkpoint.Step.ToString(Invariant), checkpoint.Reward.ToString("0.000000", Invariant), checkpoint.Step == bestStep ? "[green]best[/]" : "");
        return table;
    }

    /// <summary>Everything <c>rpo status</c> knows about a run.</summary>
    public static Table Details(RunStatusDocument document, bool ownerAlive)
    {
        var table = new Table().HideHeaders().AddColumns("", "");
        void Row(string name, string? value) { if (value is not null) table.AddRow(Markup.Escape(name), Markup.Escape(value)); }
        var status = document.Status;
        Row("run", document.RunId.Value);
        Row("state", document.StateName + (document.IsFinished ? "" : ownerAlive ? $" (in {document.Owner})" : $" — its process is gone (last heard {document.Heartbeat:u}); rpo run resumes it"));
        if (status is not null)
        {
            Row("stage", StageName(status.Stage));
            Row("stages", string.Join(" → ", status.Stages.Select(StageName)));
            if (status.TotalSteps > 0) Row("step", $"{status.Step}/{status.TotalSteps}");
            Row("loss", status.Loss?.ToString("0.0000", Invariant));
            if (status.NegativePrompts > 0) Row("negatives", $"{status.NegativesGenerated}/{status.NegativePrompts} prompts");
            if (status.CheckpointsTotal > 0) Row("checkpoints scored", $"{status.CheckpointsScored}/{status.CheckpointsTotal}");
            if (status.BestReward is { } best) Row("best so far", $"{best.ToString("0.0000", Invariant)} (step {status.BestStep})");
            Row("elapsed", Seconds(status.ElapsedSeconds));
            Row("GPU seconds", status.GpuSeconds.ToString("0.#", Invariant));
            Row("message", status.Message);
            foreach (var problem in status.Problems) Row("problem", problem.ToString());
        }

        Row("failure", document.Failure);
        if (document.Outcome is { Published: { } published }) Row("published", published.ToString());
        Row("started", document.Started.ToString("u", Invariant));
        return table;
    }
}
