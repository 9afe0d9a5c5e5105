using Rpo.Diffusion.Parity;
using Rpo.Tests.Shared;

namespace Rpo.Diffusion.Tests.Schedulers;

/// <summary>Every case folder under fixtures/schedulers, driven as its case.json says, against every stored output.</summary>
public class SchedulerFixtureTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(TestPaths.Fixture("schedulers")).Order(StringComparer.Ordinal))
            if (File.Exists(Path.Combine(dir, "case.json")))
                data.Add(Path.GetFileName(dir));
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_reference(string caseName)
    {
        using var fixture = FixtureCase.Load(TestPaths.Fixture("schedulers", caseName));
        var produced = SchedulerCaseRunner.Run(fixture);
        try
        {
            var missing = fixture.Outputs.Keys.Where(k => !produced.ContainsKey(k)).ToList();
            Assert.True(missing.Count == 0, $"[{fixture.Name}] not produced: {string.Join(", ", missing)}");
            foreach (var name in fixture.Outputs.Keys.Order(StringComparer.Ordinal))
                Rpo.Tests.Shared.Parity.AssertClose(fixture, name, produced[name]);
        }
        finally
        {
            foreach (var t in produced.Values) t.Dispose();
        }
    }
}
