namespace Rpo.Cli.Tests;

/// <summary>
/// Commands draw live progress displays through Spectre.Console's process-wide console, which refuses two at once;
/// a process runs one rpo command, so tests that run commands run one at a time too.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "rpo commands";
}
