using System.CommandLine;
using Rpo.Cli.Doctor;
using Spectre.Console;

namespace Rpo.Cli.Commands;

/// <summary><c>rpo doctor</c>: is this machine ready to run and test RpoFunctions?</summary>
public static class DoctorCommand
{
    public static Command Create()
    {
        var azurite = new Option<string>("--azurite")
        {
            Description = "Azurite blob endpoint to probe (default: $RPO_AZURITE_BLOB or " + DoctorChecks.DefaultAzuriteBlobEndpoint + ")",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("RPO_AZURITE_BLOB") ?? DoctorChecks.DefaultAzuriteBlobEndpoint,
        };
        var command = new Command("doctor", "Check .NET, LibTorch, threads, CUDA, Azurite and the Bicep CLI; print a fix for each failure.")
        {
            azurite,
        };
        command.SetAction(async (parsed, ct) =>
        {
            var checks = new List<DoctorCheck> { DoctorChecks.DotNet() };
            checks.AddRange(DoctorChecks.Torch());
            checks.Add(await DoctorChecks.AzuriteAsync(parsed.GetValue(azurite)!, ct));
            checks.Add(DoctorChecks.Bicep());
            Render(checks);
            return checks.Any(c => c.Status == CheckStatus.Fail) ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return command;
    }

    static void Render(IEnumerable<DoctorCheck> checks)
    {
        var table = new Table().AddColumns("check", "status", "found", "fix");
        foreach (var c in checks)
        {
            string status = c.Status switch
            {
                CheckStatus.Ok => "[green]ok[/]",
                CheckStatus.Warn => "[yellow]warn[/]",
                _ => "[red]FAIL[/]",
            };
            table.AddRow(Markup.Escape(c.Name), status, Markup.Escape(c.Detail), Markup.Escape(c.Fix ?? ""));
        }
        AnsiConsole.Write(table);
    }
}
