using Rpo.Diffusion.Parity;
using Rpo.Rewards;
using Rpo.Rewards.Encoders;
using Rpo.Rewards.Encoders.Clip;
using Rpo.Rewards.Metrics;

namespace Rpo.Cli;

/// <summary>Every fixture runner the product has, from each library that owns a model family.</summary>
public static class FixtureRunners
{
    public static IEnumerable<IFixtureRunner> All() =>
    [
        .. DiffusionFixtureRunners.All(),
        new ViTFixtureRunner(),
        new AlignFixtureRunner(),
        new ClipFixtureRunner(),
        new RewardFixtureRunner(),
        new DreamBenchFixtureRunner(),
    ];
}
