using Rpo.Diffusion.Parity;
using Rpo.Rewards.Encoders;
using Rpo.Tests.Shared;

namespace Rpo.Rewards.Tests.Encoders;

public class EncoderFixtureRunnerTests
{
    [Theory]
    [InlineData("vit-dino-tiny")]
    [InlineData("align-tiny")]
    public void Fixture_check_passes_every_output(string name)
    {
        var check = new FixtureCheck([new ViTFixtureRunner(), new AlignFixtureRunner()]);
        var report = check.Check(TestPaths.Fixture(name));
        foreach (var c in report.Comparisons)
            Console.WriteLine($"[{name}] {c}");
        Assert.Null(report.Error);
        Assert.True(report.Pass, string.Join("\n", report.Comparisons.Where(c => !c.Pass)));
    }
}
