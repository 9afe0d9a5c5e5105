using System.CommandLine;
using Rpo.Diffusion.Parity;
using Spectre.Console;

namespace Rpo.Cli.Commands;

/// <summary><c>rpo fixture check</c>: numerical parity with the Python reference on case folders.</summary>
public static class FixtureCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("case-folder")
        {
            Description = "A case folder (with case.json and expected.safetensors) or a folder holding several; more than one may be given.",
            Arity = ArgumentArity.OneOrMore,
        };
        var check = new Command("check", "Run reference cases and print, for every stored output, max |Δ|, max relative error and PASS/FAIL "
            + "against the case's tolerance (atol from case.json, rtol 1e-4, integers exact). Exit 0 only when all pass.")
        {
            paths,
        };
        check.SetAction(parsed => Run(parsed.GetValue(paths)!));
        return new Command("fixture", "Work with reference fixture cases (../shared/fixtures).") { check };
    }

    static int Run(string[] paths)
    {
        var checker = new FixtureCheck(FixtureRunners.All());
        var folders = paths.SelectMany(p => Directory.Exists(p) || File.Exists(Path.Combine(p, "case.json"))
            ? FixtureCheck.FindCases(p)
            : throw new UserError($"{p} does not exist.")).ToList();
        if (folders.Count == 0) throw new UserError($"no case.json under {string.Join(", ", paths)}.");

        int failed = 0;
        foreach (var folder in folders)
        {
            FixtureReport report;
            try
            {
                report = checker.Check(folder);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                report = new FixtureReport(folder, Path.GetFileName(folder), "?", [], $"{e.GetType().Name}: {e.Message}");
            }
            Render(report);
            if (!report.Pass) failed++;
        }
        AnsiConsole.MarkupLine(failed == 0
            ? $"[green]{folders.Count} case(s) passed[/]"
            : $"[red]{failed} of {folders.Count} case(s) failed[/]");
        return failed == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

    static void Render(FixtureReport report)
    {
        AnsiConsole.MarkupLineInterpolated($"[bold]{report.Name}[/] ({report.ModelClass}) {report.Folder}");
        if (report.Error is not null)
        {
            AnsiConsole.MarkupLineInterpolated($"  [red]FAIL[/] {report.Error}");
            return;
        }
        var table = new Table().AddColumns("output", "max |Δ|", "max rel", "atol", "rtol", "result");
        foreach (var c in report.Comparisons)
            table.AddRow(Markup.Escape(c.Name), $"{c.MaxAbs:E2}", $"{c.MaxRel:E2}", $"{c.Atol:E0}", $"{c.Rtol:E0}",
                c.Pass ? "[green]PASS[/]" : $"[red]FAIL[/]{(c.Problem is null ? "" : " " + Markup.Escape(c.Problem))}");
        AnsiConsole.Write(table);
    }
}
