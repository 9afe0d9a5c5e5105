using System.CommandLine;
using System.Text.Json;
using Rpo.Cli.Commands;
using Rpo.Diffusion.Models.Unet;
using Rpo.Diffusion.Pipelines;
using TorchSharp;

namespace Rpo.Cli.Bench;

/// <summary>The options the UNet benchmarks share: <c>--steps</c>, <c>--model tiny|sd21-base|all</c>, <c>--json</c>, <c>--device</c>.</summary>
public sealed class BenchModelOptions(int defaultSteps)
{
    public Option<int> Steps { get; } = new("--steps") { Description = "Measured steps per model (one more warms up).", DefaultValueFactory = _ => defaultSteps };
    public Option<string> Model { get; } = new("--model") { Description = "tiny, sd21-base or all.", DefaultValueFactory = _ => "all" };
    public Option<string?> Json { get; } = new("--json") { Description = "Also write the results to this JSON file." };
    public Option<string> Device { get; } = DeviceOption.Create();

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { Steps, Model, Json, Device }) command.Options.Add(option);
    }

    /// <summary>The validated step count, device, and the models to run, smallest first.</summary>
    public (int Steps, torch.Device Device, IReadOnlyList<(string Name, Func<UNet2DConditionConfig> Config)> Models) Parse(ParseResult parsed)
    {
        int n = parsed.GetValue(Steps);
        if (n < 1) throw new UserError("--steps must be at least 1.");
        string which = parsed.GetValue(Model)!.ToLowerInvariant();
        if (which is not ("tiny" or "sd21-base" or "all")) throw new UserError($"--model {which}: use tiny, sd21-base or all.");
        var models = new List<(string, Func<UNet2DConditionConfig>)>();
        if (which is "tiny" or "all") models.Add(("tiny", () => TinyStableDiffusion.UnetConfig));
        if (which is "sd21-base" or "all") models.Add(("sd21-base", DenoisingBenchmark.Sd21BaseConfig));
        return (n, DeviceOption.Resolve(parsed.GetValue(Device)), models);
    }

    public void WriteJson<T>(ParseResult parsed, torch.Device device, IReadOnlyList<T> results)
    {
        if (parsed.GetValue(Json) is { } path)
            File.WriteAllText(path, JsonSerializer.Serialize(new { device = device.ToString(), Environment.ProcessorCount, results }, new JsonSerializerOptions { WriteIndented = true }));
    }
}
