using System.CommandLine;
using System.Text.Json;
using Rpo.Pipeline.Local;
using Rpo.Pipeline.Runs;
using Spectre.Console;

namespace Rpo.Cli.Commands;

/// <summary><c>rpo status &lt;runId&gt;</c>: the state <c>rpo run</c> mirrors to work/{runId}/status.json, read from any process.</summary>
public static class StatusCommand
{
    public static Command Create()
    {
        var runId = new Argument<string>("runId") { Description = "The run id rpo run printed (\"<subjectId>-<16 hex digits>\")." };
        var storage = StorageOption.Create();
        var json = new Option<bool>("--json") { Description = "Print the status document as JSON instead of a table." };
        var command = new Command("status", "Show a run's stage, step, loss, checkpoint rewards and outcome (from the storage, so any process can ask).")
        {
            runId, storage, json,
        };
        command.SetAction(async (parsed, cancellation) =>
        {
            var (id, store, document) = await StorageOption.ReadRunAsync(parsed.GetValue(runId)!, parsed.GetValue(storage)!, cancellation);
            if (parsed.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(document, RunJson.Indented));
            }
            else
            {
                AnsiConsole.Write(RunView.Details(document, LocalRunner.IsAlive(document)));
                if (document.Outcome is { Checkpoints.Count: > 0 } outcome) AnsiConsole.Write(RunView.Rewards(outcome.Checkpoints, outcome.BestStep));
            }

            return document.IsFinished && !document.Succeeded ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return command;
    }
}
