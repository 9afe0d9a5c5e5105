using System.CommandLine;

namespace Rpo.Cli.Commands;

/// <summary><c>rpo bench</c>: speed measurements on this machine (figures for the README come from here).</summary>
public static class BenchCommand
{
    public static Command Create() => new("bench", "Measure speed on this machine: random weights at real model sizes.")
    {
        BenchGenerateCommand.Create(),
    };
}
