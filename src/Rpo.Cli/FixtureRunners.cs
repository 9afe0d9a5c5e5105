using Rpo.Diffusion.Parity;
using Rpo.Rewards.Encoders;

namespace Rpo.Cli;

/// <summary>Every fixture runner the product has, from each library that owns a model family.</summary>
public static class FixtureRunners
{
    public static IEnumerable<IFixtureRunner> All() =>
    [
        .. DiffusionFixtureRunners.All(),
        new ViTFixtureRunner(),
        new AlignFixtureRunner(),
    ];
}
