using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Rpo.Cli.Bench;
using Rpo.Diffusion.Models.Unet;
using Rpo.Diffusion.Pipelines;
using Spectre.Console;

namespace Rpo.Cli.Commands;

/// <summary><c>rpo bench train</c>: median seconds per RPO training step and peak RSS, tiny model and SD 2.1-base UNet.</summary>
public static class BenchTrainCommand
{
    public static Command Create()
    {
        var steps = new Option<int>("--steps") { Description = "Measured steps per model (one more warms up).", DefaultValueFactory = _ => 3 };
        var only = new Option<string>("--model") { Description = "tiny, sd21-base or all.", DefaultValueFactory = _ => "all" };
        var json = new Option<string?>("--json") { Description = "Also write the results to this JSON file." };
        var device = DeviceOption.Create();
        var command = new Command("train", "Median seconds per RPO training step (θ and φ UNet forwards on one pair + backward + AdamW) and peak RSS "
            + "for the tiny model and the SD 2.1-base UNet config, both at 32×32 latents, random weights. The SD 2.1 size holds θ, φ, "
            + "gradients and AdamW state (about 17 GB in float32).")
        {
            steps, only, json, device,
        };
        command.SetAction(parsed =>
        {
            int n = parsed.GetValue(steps);
            if (n < 1) throw new UserError("--steps must be at least 1.");
            string which = parsed.GetValue(only)!.ToLowerInvariant();
            if (which is not ("tiny" or "sd21-base" or "all")) throw new UserError($"--model {which}: use tiny, sd21-base or all.");
            var target = DeviceOption.Resolve(parsed.GetValue(device));
            // Smallest first: the peak RSS is the process's high-water mark, so each figure then belongs to its model.
            var runs = new List<(string Name, Func<UNet2DConditionConfig> Config, long Latent)>();
            if (which is "tiny" or "all") runs.Add(("tiny", () => TinyStableDiffusion.UnetConfig, 32));
            if (which is "sd21-base" or "all") runs.Add(("sd21-base", DenoisingBenchmark.Sd21BaseConfig, 32));

            var results = new List<TrainStepBenchResult>();
            foreach (var (name, config, latent) in runs)
                AnsiConsole.Status().Start($"{name}: building θ and φ and timing {n} step(s)…", ctx =>
                    results.Add(TrainStepBenchmark.Run(name, config(), latent, n, target,
                        i => ctx.Status($"{name}: step {i} of {n} ({(i == 0 ? "warm-up" : "measured")})"))));

            var table = new Table().AddColumns("model", "latents", "trained parameters", "median s/step", "min", "max", "peak RSS", "device");
            foreach (var r in results)
                table.AddRow(r.Model, $"{r.LatentSize}×{r.LatentSize}", r.Parameters.ToString("N0", CultureInfo.InvariantCulture),
                    $"{r.MedianSeconds:F3}", $"{r.MinSeconds:F3}", $"{r.MaxSeconds:F3}", $"{r.PeakRssBytes / (1024.0 * 1024 * 1024):F2} GiB", target.ToString());
            AnsiConsole.Write(table);
            if (parsed.GetValue(json) is { } path)
                File.WriteAllText(path, JsonSerializer.Serialize(new { device = target.ToString(), Environment.ProcessorCount, results }, new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Ok;
        });
        return command;
    }
}
