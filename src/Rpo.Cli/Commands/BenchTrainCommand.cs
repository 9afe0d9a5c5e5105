using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Rpo.Cli.Bench;
using Rpo.Diffusion.Models.Unet;
using Rpo.Diffusion.Pipelines;
using Rpo.Training;
using Spectre.Console;

namespace Rpo.Cli.Commands;

/// <summary><c>rpo bench train</c>: median seconds per RPO training step and peak RSS, tiny model and SD 2.1-base UNet.</summary>
public static class BenchTrainCommand
{
    public static Command Create()
    {
        var options = new BenchModelOptions(defaultSteps: 3);
        var command = new Command("train", "Median seconds per RPO training step (θ and φ UNet forwards on one pair + backward + AdamW) and peak RSS "
            + "for the tiny model and the SD 2.1-base UNet config, both at 32×32 latents, random weights. Full fine-tuning of the SD 2.1 size holds θ, φ, "
            + "gradients and AdamW state (about 17 GB in float32); --lora-rank, --bf16-frozen and --gradient-checkpointing measure the trainer's memory options.");
        var loraRank = new Option<int?>("--lora-rank") { Description = "Train LoRA adapters of this rank (θ's weights frozen) instead of the whole UNet." };
        var bf16 = new Option<bool>("--bf16-frozen") { Description = "Keep the frozen φ UNet in bfloat16 (θ and the loss stay float32)." };
        var checkpointing = new Option<bool>("--gradient-checkpointing") { Description = "Recompute each UNet block in the backward instead of storing its activations." };
        options.AddTo(command);
        command.Options.Add(loraRank);
        command.Options.Add(bf16);
        command.Options.Add(checkpointing);
        command.SetAction(parsed =>
        {
            var (n, target, models) = options.Parse(parsed);
            if (parsed.GetValue(loraRank) is < 1) throw new UserError("--lora-rank must be at least 1.");
            var training = new TrainingOptions
            {
                Lora = parsed.GetValue(loraRank) is { } rank ? new LoraOptions(rank, rank) : null,
                FrozenInBFloat16 = parsed.GetValue(bf16),
                GradientCheckpointing = parsed.GetValue(checkpointing),
            };
            // 32×32 latents for both; smallest model first, so the process's peak RSS after each run is that model's.
            var runs = models.Select(m => (m.Name, m.Config, Latent: 32L)).ToList();

            var results = new List<TrainStepBenchResult>();
            foreach (var (name, config, latent) in runs)
                AnsiConsole.Status().Start($"{name}: building θ and φ and timing {n} step(s)…", ctx =>
                    results.Add(TrainStepBenchmark.Run(name, config(), latent, n, target, training,
                        i => ctx.Status($"{name}: step {i} of {n} ({(i == 0 ? "warm-up" : "measured")})"))));

            var table = new Table().AddColumns("model", "latents", "setup", "trained parameters", "median s/step", "min", "max", "peak RSS", "device");
            foreach (var r in results)
                table.AddRow(r.Model, $"{r.LatentSize}×{r.LatentSize}", r.Setup, r.Parameters.ToString("N0", CultureInfo.InvariantCulture),
                    $"{r.MedianSeconds:F3}", $"{r.MinSeconds:F3}", $"{r.MaxSeconds:F3}", $"{r.PeakRssBytes / (1024.0 * 1024 * 1024):F2} GiB", target.ToString());
            AnsiConsole.Write(table);
            options.WriteJson(parsed, target, results);
            return ExitCodes.Ok;
        });
        return command;
    }
}
