using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Rpo.Cli.Bench;
using Rpo.Diffusion.Models.Unet;
using Rpo.Diffusion.Pipelines;
using Spectre.Console;

namespace Rpo.Cli.Commands;

/// <summary><c>rpo bench generate</c>: median seconds per denoising step, tiny model and SD 2.1-base UNet.</summary>
public static class BenchGenerateCommand
{
    public static Command Create()
    {
        var steps = new Option<int>("--steps") { Description = "Measured steps per model (one more warms up).", DefaultValueFactory = _ => 5 };
        var only = new Option<string>("--model") { Description = "tiny, sd21-base or all.", DefaultValueFactory = _ => "all" };
        var json = new Option<string?>("--json") { Description = "Also write the results to this JSON file." };
        var device = DeviceOption.Create();
        var command = new Command("generate", "Median seconds per denoising step (UNet on the classifier-free-guidance batch of 2 + DDIM step) "
            + "for the tiny model (32×32 latents) and the SD 2.1-base UNet config at 64×64 latents, random weights.")
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
            var runs = new List<(string Name, Func<UNet2DConditionConfig> Config, long Latent)>();
            if (which is "tiny" or "all") runs.Add(("tiny", () => TinyStableDiffusion.UnetConfig, 32));
            if (which is "sd21-base" or "all") runs.Add(("sd21-base", DenoisingBenchmark.Sd21BaseConfig, 64));

            var results = new List<DenoisingBenchResult>();
            foreach (var (name, config, latent) in runs)
                AnsiConsole.Status().Start($"{name}: building the UNet and timing {n} step(s)…", ctx =>
                    results.Add(DenoisingBenchmark.Run(name, config(), latent, n, target,
                        i => ctx.Status($"{name}: step {i} of {n} ({(i == 0 ? "warm-up" : "measured")})"))));

            var table = new Table().AddColumns("model", "latents", "parameters", "median s/step", "min", "max", "device");
            foreach (var r in results)
                table.AddRow(r.Model, $"{r.LatentSize}×{r.LatentSize}", r.Parameters.ToString("N0", CultureInfo.InvariantCulture),
                    $"{r.MedianSeconds:F3}", $"{r.MinSeconds:F3}", $"{r.MaxSeconds:F3}", target.ToString());
            AnsiConsole.Write(table);
            if (parsed.GetValue(json) is { } path)
                File.WriteAllText(path, JsonSerializer.Serialize(new { device = target.ToString(), Environment.ProcessorCount, results }, new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Ok;
        });
        return command;
    }
}
