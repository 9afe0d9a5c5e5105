namespace Rpo.Training.Tests;

/// <summary>Tests that read process-wide counters (live tensors, RSS) run alone: xunit runs other classes in parallel.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryCollection
{
    public const string Name = "Process-wide memory counters";
}
