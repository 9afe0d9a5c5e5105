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

    [Fact]
    public async Task Bench_train_measures_the_lora_step_with_the_memory_options()
    {
        string json = Path.Combine(_dir, "lora.json");
        Assert.Equal(ExitCodes.Ok, await RpoApp.RunAsync(["bench", "train", "--model", "tiny", "--steps", "1", "--device", "cpu", "--json", json,
            "--lora-rank", "2", "--bf16-frozen", "--gradient-checkpointing"]));
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var result = Assert.Single(doc.RootElement.GetProperty("results").EnumerateArray());
        Assert.Equal("LoRA r2, φ bf16, checkpointing", result.GetProperty("Setup").GetString());
        // Only the adapters train: 2·(in + out) per adapted projection, far fewer than the UNet's million weights.
        long parameters = result.GetProperty("Parameters").GetInt64();
        Assert.InRange(parameters, 1, 100_000);
        Assert.Equal(ExitCodes.Failed, await RpoApp.RunAsync(["bench", "train", "--model", "tiny", "--lora-rank", "0"]));
    }
}
