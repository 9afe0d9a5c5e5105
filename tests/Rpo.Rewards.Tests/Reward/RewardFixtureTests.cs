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

public class DecodedJpegCheckTests
{
    [Fact]
    public void A_jpeg_that_decodes_differently_is_reported_as_a_decoder_difference()
    {
        string copy = Directory.CreateTempSubdirectory("reward-jpeg-").FullName;
        try
        {
            string source = TestPaths.Fixture("reward-clip-tiny");
            foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            {
                string target = Path.Combine(copy, Path.GetRelativePath(source, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
            // Another subject's JPEG in place of the stored one.
            File.Copy(TestPaths.Fixture("metrics-dreambench-tiny", "images", "reference", "01.jpg"), Path.Combine(copy, "images", "reference", "01.jpg"), overwrite: true);
            using var fixture = FixtureCase.Load(copy);
            var error = Assert.Throws<InvalidDataException>(() => FixtureImages.CheckDecodedJpegs(fixture));
            Assert.Contains("decodes differently", error.Message);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }
}
