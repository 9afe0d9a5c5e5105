using System.CommandLine;
using Rpo.Pipeline.Local;
using Rpo.Pipeline.Storage;
using Spectre.Console;

namespace Rpo.Cli.Commands;

/// <summary>
/// <c>rpo cancel &lt;runId&gt;</c>: writes the run's cancel marker. The process running it (rpo run, here or elsewhere)
/// polls the marker, stops the train job at its next step and ends the run Canceled; nothing is published.
/// </summary>
public static class CancelCommand
{
    public static Command Create()
    {
        var runId = new Argument<string>("runId") { Description = "The run to stop (\"<subjectId>-<16 hex digits>\")." };
        var reason = new Option<string?>("--reason") { Description = "Why; kept in the run's final message." };
        var storage = StorageOption.Create();
        var command = new Command("cancel", "Stop a running run (from any process on the same storage); it ends Canceled and publishes nothing.")
        {
            runId, reason, storage,
        };
        command.SetAction(async (parsed, cancellation) =>
        {
            var (id, store, document) = await StorageOption.ReadRunAsync(parsed.GetValue(runId)!, parsed.GetValue(storage)!, cancellation);
            if (document.IsFinished)
                throw new UserError($"run {id} already ended: {document.StateName}.");
            await LocalRunner.CancelAsync(store, id, parsed.GetValue(reason), cancellationToken: cancellation);
            AnsiConsole.MarkupLineInterpolated($"cancel requested: {StorageLayout.CancelMarker(id)} written; the run stops at its next step (rpo status {id.Value}).");
            if (!LocalRunner.IsAlive(document))
                AnsiConsole.MarkupLineInterpolated($"[yellow]no process runs it now[/] (last heard {document.Heartbeat:u}); rpo run on the same photos starts it again.");
            return ExitCodes.Ok;
        });
        return command;
    }
}
