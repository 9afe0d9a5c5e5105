using System.Text.Json;
using Rpo.Diffusion.Parity;
using Rpo.Tests.Shared;

namespace Rpo.Diffusion.Tests.Parity;

/// <summary>
/// Every shared case of this library's kinds, through the same dispatcher as <c>rpo fixture check</c>: a new case
/// folder of a known kind dropped into the fixtures is picked up without a code change.
/// </summary>
public class FixtureSuiteTests
{
    static readonly FixtureCheck Checker = new(DiffusionFixtureRunners.All());

    public static TheoryData<string> Cases() => new(CaseFolders());

    static List<string> CaseFolders()
    {
        var data = new List<string>();
        foreach (var folder in FixtureCheck.FindCases(TestPaths.Fixtures))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "case.json")));
            string modelClass = doc.RootElement.TryGetProperty("model_class", out var m) ? m.GetString() ?? "" : "";
            if (Checker.KnownModelClasses.Contains(modelClass))
                data.Add(Path.GetRelativePath(TestPaths.Fixtures, folder));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case_passes_at_its_own_tolerance(string relativeFolder)
    {
        var report = Checker.Check(Path.Combine(TestPaths.Fixtures, relativeFolder));
        foreach (var c in report.Comparisons) Console.WriteLine($"[{report.Name}] {c}");
        Assert.Null(report.Error);
        Assert.NotEmpty(report.Comparisons);
        Assert.All(report.Comparisons, c => Assert.True(c.Pass, c.ToString()));
    }

    [Fact]
    public void Every_diffusion_kind_in_the_shared_fixtures_is_covered()
    {
        var kinds = CaseFolders();
        Assert.Contains("sd-pipeline-tiny", kinds);
        Assert.Contains("unet-sd1-tiny", kinds);
        Assert.Contains("vae-tiny", kinds);
        Assert.Contains("clip-text-gelu-tiny", kinds);
        Assert.Contains(Path.Combine("schedulers", "dpmsolver-v"), kinds);
    }
}
