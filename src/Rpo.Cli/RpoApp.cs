using System.CommandLine;
using Rpo.Cli.Commands;
using Spectre.Console;

namespace Rpo.Cli;

/// <summary>Builds the <c>rpo</c> command tree and maps outcomes to exit codes (0 ok, 1 failed, 2 usage).</summary>
public static class RpoApp
{
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("rpo: personalise Stable Diffusion for one subject with RPO (Reward Preference Optimization).");
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(CancelCommand.Create());
        root.Subcommands.Add(ModelsCommand.Create());
        root.Subcommands.Add(DoctorCommand.Create());
        root.Subcommands.Add(FixtureCommand.Create());
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(InitModelCommand.Create());
        root.Subcommands.Add(ScoreCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(BenchCommand.Create(BenchGenerateCommand.Create(), BenchTrainCommand.Create()));
        return root;
    }

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var root = BuildRoot();
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
                Console.Error.WriteLine($"rpo: {error.Message}");
            Console.Error.WriteLine($"Run '{CommandPath(parsed)} --help' for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            // Our handlers below print user errors as one line; System.CommandLine's own handler would print a stack trace.
            // Ctrl+C is left to the commands: System.CommandLine's handler would end the process 2 s after it, while
            // rpo run needs longer to cancel its run cleanly (it handles Ctrl+C itself).
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null }, cancellationToken);
        }
        catch (UserError e)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]rpo: {e.Message}[/]");
            return ExitCodes.Failed;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("rpo: cancelled.");
            return ExitCodes.Failed;
        }
        catch (Exception e)
        {
            // Anything else is a failure of the run, not of the process: name it; the stack only when asked for.
            Console.Error.WriteLine($"rpo: {e.GetType().Name}: {e.Message}");
            if (Environment.GetEnvironmentVariable("RPO_DEBUG") is { Length: > 0 }) Console.Error.WriteLine(e);
            return ExitCodes.Failed;
        }
    }

    static string CommandPath(ParseResult parsed)
    {
        var names = new List<string>();
        for (var r = parsed.CommandResult; r != null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            names.Insert(0, r.Command is RootCommand ? "rpo" : r.Command.Name);
        return string.Join(' ', names);
    }
}
