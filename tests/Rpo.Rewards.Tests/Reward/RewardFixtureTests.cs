using Rpo.Diffusion.Parity;
using Rpo.Rewards.Metrics;
using Rpo.Tests.Shared;

namespace Rpo.Rewards.Tests.Reward;

/// <summary>The reward and metric cases end to end from the image files, through the same runners as rpo fixture check.</summary>
public class RewardFixtureTests
{
    [Theory]
    [InlineData("reward-clip-tiny")]
    [InlineData("reward-align-tiny")]
    [InlineData("metrics-dreambench-tiny")]
    public void Fixture_check_passes_every_output(string name)
    {
        var check = new FixtureCheck([new RewardFixtureRunner(), new DreamBenchFixtureRunner()]);
        var report = check.Check(TestPaths.Fixture(name));
        foreach (var c in report.Comparisons)
            Console.WriteLine($"[{name}] {c}");
        Assert.Null(report.Error);
        Assert.True(report.Pass, string.Join("\n", report.Comparisons.Where(c => !c.Pass)));
    }
}
