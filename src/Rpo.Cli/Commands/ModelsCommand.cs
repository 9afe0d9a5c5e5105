using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;
using Spectre.Console;

namespace Rpo.Cli.Commands;

/// <summary><c>rpo models &lt;subjectId&gt;</c>: the subject's published versions (each with its rpo.json), the one latest.json points at marked.</summary>
public static class ModelsCommand
{
    /// <summary>One published version as listed.</summary>
    public sealed record ModelRow(string Version, bool Latest, RunId RunId, int SelectedStep, double? Reward, string BaseModel, int Steps, string Folder);

    public static Command Create()
    {
        var subjectId = new Argument<string>("subjectId") { Description = "The subject (its folder name under subjects/; rpo run prints it)." };
        var storage = StorageOption.Create();
        var json = new Option<bool>("--json") { Description = "Print the versions as JSON." };
        var command = new Command("models", "List a subject's published models: version, run, chosen checkpoint and its reward, and which one is latest.")
        {
            subjectId, storage, json,
        };
        command.SetAction(async (parsed, cancellation) =>
        {
            var subject = parsed.GetValue(subjectId)!;
            if (SubjectIds.Problem(subject) is { } problem) throw new UserError($"subject id '{subject}' {problem}.");
            var store = StorageOption.Open(parsed.GetValue(storage)!);
            var versions = await ListAsync(store, subject, cancellation);
            if (parsed.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(versions, RunJson.Indented));
                return ExitCodes.Ok;
            }

            if (versions.Count == 0)
            {
                AnsiConsole.MarkupLineInterpolated($"no published models for '{subject}' in {store.Location}.");
                return ExitCodes.Ok;
            }

            // The folder is models/<subject>/<version>/; the JSON form carries it.
            var table = new Table().AddColumns("version", "", "run", "chosen step", "reward", "base model", "steps");
            foreach (var v in versions)
            {
                table.AddRow(
                    Markup.Escape(v.Version), v.Latest ? "[green]latest[/]" : "", Markup.Escape(v.RunId.Value), v.SelectedStep.ToString(CultureInfo.InvariantCulture),
                    v.Reward?.ToString("0.0000", CultureInfo.InvariantCulture) ?? "", Markup.Escape(v.BaseModel), v.Steps.ToString(CultureInfo.InvariantCulture));
            }

            AnsiConsole.MarkupLineInterpolated($"{store.Location}: {StorageLayout.ModelsFolder(subject)}");
            AnsiConsole.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The subject's published versions as <c>rpo models</c> prints them, latest first.</summary>
    public static async Task<IReadOnlyList<ModelRow>> ListAsync(IBlobStorage storage, string subjectId, CancellationToken cancellationToken = default)
    {
        var versions = await new ModelPublisher(storage).ListVersionsAsync(subjectId, cancellationToken);
        return [.. versions.Select(v => new ModelRow(v.Manifest.Version, v.IsLatest, v.Manifest.RunId, v.Manifest.SelectedStep, v.Reward,
            v.Manifest.Options.BaseModel, v.Manifest.Options.Steps, v.Folder.ToString()))];
    }
}
