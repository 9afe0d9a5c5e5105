using System.Diagnostics;

namespace Rpo.Functions.Tests.Infra;

/// <summary>The result of one Bicep CLI run.</summary>
public sealed record BicepRun(int ExitCode, string StdOut, string StdErr)
{
    /// <summary>Everything the CLI printed, for assertion messages.</summary>
    public string Output => $"exit {ExitCode}\nstdout:\n{StdOut}\nstderr:\n{StdErr}";
}

/// <summary>
/// Finds the Bicep CLI with `rpo doctor`'s own locator (src/Rpo.Cli/Doctor/BicepLocator.cs, linked in) and runs it: $RPO_BICEP, then
/// PATH, then the Azure.Bicep.CommandLine.linux-x64 package that `dotnet restore tools/bicep/bicep.proj` (run-tests.sh)
/// puts in the NuGet cache.
/// </summary>
public static class BicepCli
{
    public static string Locate() =>
        Rpo.Cli.Doctor.BicepLocator.Find() ?? throw new FileNotFoundException(
            $"The Bicep CLI was not found ($RPO_BICEP, PATH, the {Rpo.Cli.Doctor.BicepLocator.PackageId} package). Run: dotnet restore tools/bicep/bicep.proj");

    public static BicepRun Run(string workingDirectory, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(Locate())
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        if (environment != null)
            foreach (var (name, value) in environment)
                if (value is null) start.Environment.Remove(name); // unset, not empty
                else start.Environment[name] = value;

        using var process = Process.Start(start) ?? throw new InvalidOperationException("bicep did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', arguments)} did not finish within 5 minutes");
        }
        process.WaitForExit();
        return new BicepRun(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}
