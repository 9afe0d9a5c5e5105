using Rpo.Diffusion.Parity;

namespace Rpo.Cli;

/// <summary>Every fixture runner the product has, from each library that owns a model family.</summary>
public static class FixtureRunners
{
    public static IEnumerable<IFixtureRunner> All() => [];
}
