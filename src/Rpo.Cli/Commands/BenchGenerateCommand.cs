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
        var options = new BenchModelOptions(defaultSteps: 5);
        var command = new Command("generate", "Median seconds per denoising step (UNet on the classifier-free-guidance batch of 2 + DDIM step) "
            + "for the tiny model (32×32 latents) and the SD 2.1-base UNet config at 64×64 latents, random weights.");
        options.AddTo(command);
        command.SetAction(parsed =>
        {
            var (n, target, models) = options.Parse(parsed);
            // Latents: tiny 32×32, SD 2.1-base 64×64 (512 px).
            var runs = models.Select(m => (m.Name, m.Config, Latent: m.Name == "tiny" ? 32L : 64L)).ToList();

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
            options.WriteJson(parsed, target, results);
            return ExitCodes.Ok;
        });
        return command;
    }
}
