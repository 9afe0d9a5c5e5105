using System.Text.Json;
using Rpo.Cli;

namespace Rpo.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public sealed class BenchTrainCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("rpo-bench-train-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Bench_train_measures_the_tiny_step_and_reports_memory()
    {
        string json = Path.Combine(_dir, "bench.json");
        Assert.Equal(ExitCodes.Ok, await RpoApp.RunAsync(["bench", "train", "--model", "tiny", "--steps", "1", "--device", "cpu", "--json", json]));
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var result = Assert.Single(doc.RootElement.GetProperty("results").EnumerateArray());
        Assert.Equal("tiny", result.GetProperty("Model").GetString());
        Assert.True(result.GetProperty("MedianSeconds").GetDouble() > 0);
        Assert.True(result.GetProperty("Parameters").GetInt64() > 1_000_000);
        Assert.True(result.GetProperty("PeakRssBytes").GetInt64() > 0);
        Assert.Equal(ExitCodes.Failed, await RpoApp.RunAsync(["bench", "train", "--model", "sd15"]));
    }
}
