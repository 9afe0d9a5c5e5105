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
    public sealed record PublishedVersion(string Version, bool Latest, RunId RunId, int SelectedStep, double? Reward, string BaseModel, int Steps, string Folder);

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

    /// <summary>Every version folder of the subject that holds an rpo.json (a publish that lost its race included), latest first.</summary>
    public static async Task<IReadOnlyList<PublishedVersion>> ListAsync(IBlobStorage storage, string subjectId, CancellationToken cancellationToken = default)
    {
        var publisher = new ModelPublisher(storage);
        var latest = await publisher.ReadLatestAsync(subjectId, cancellationToken);
        var folder = StorageLayout.ModelsFolder(subjectId);
        var names = new SortedSet<string>(StringComparer.Ordinal);
        await foreach (var item in storage.ListAsync(folder, cancellationToken))
        {
            var relative = item.Blob.RelativeTo(folder);
            if (relative.EndsWith("/" + StorageLayout.ManifestName, StringComparison.Ordinal) && relative.Count(c => c == '/') == 1)
                names.Add(relative[..relative.IndexOf('/', StringComparison.Ordinal)]);
        }

        var versions = new List<PublishedVersion>();
        foreach (var name in names)
        {
            var manifest = await publisher.ReadManifestAsync(subjectId, name, cancellationToken);
            var reward = manifest.Checkpoints.FirstOrDefault(c => c.Step == manifest.SelectedStep)?.Reward;
            versions.Add(new PublishedVersion(name, latest?.Version == name, manifest.RunId, manifest.SelectedStep, reward, manifest.Options.BaseModel,
                manifest.Options.Steps, StorageLayout.ModelVersionFolder(subjectId, name).ToString()));
        }

        return [.. versions.OrderByDescending(v => v.Latest).ThenBy(v => v.Version, StringComparer.Ordinal)];
    }
}
