using Rpo.Cli;
using Rpo.Diffusion.Parity;

namespace Rpo.Cli.Tests;

public class RewardRunnersRegisteredTests
{
    [Theory]
    [InlineData("transformers.CLIPModel")]
    [InlineData("transformers.AlignModel")]
    [InlineData("transformers.ViTModel")]
    [InlineData("rpo.LambdaHarmonicReward")]
    [InlineData("rpo.DreamBenchMetrics")]
    public void Fixture_check_knows_the_encoder_reward_and_metric_cases(string modelClass) =>
        Assert.Contains(modelClass, new FixtureCheck(FixtureRunners.All()).KnownModelClasses);
}
