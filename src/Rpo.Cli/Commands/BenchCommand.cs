using System.CommandLine;
using Rpo.Rewards;
using Spectre.Console;

namespace Rpo.Cli.Commands;

/// <summary><c>rpo bench</c>: throughput measurements, one subcommand per area (<c>bench score</c> here).</summary>
public static class BenchCommand
{
    /// <summary>
    /// The <c>bench</c> command with <c>bench score</c> and any <paramref name="additional"/> subcommands, e.g.
    /// <c>BenchCommand.Create(BenchGenerateCommand.Create())</c> in <see cref="RpoApp.BuildRoot"/>.
    /// </summary>
    public static Command Create(params Command[] additional)
    {
        var bench = new Command("bench", "Measure throughput on this machine (random weights at the published configurations).");
        bench.Subcommands.Add(CreateScore());
        foreach (var command in additional)
            bench.Subcommands.Add(command);
        return bench;
    }

    static Command CreateScore()
    {
        var encoders = new Option<string[]>("--encoder")
        {
            Description = "Encoders to measure (default: all): clip (ViT-B/16, 224), align (ALIGN-base, 289), dino (ViT-S/16, 224).",
            DefaultValueFactory = _ => [.. EncoderBenchmark.Encoders],
        };
        encoders.AcceptOnlyFromAmong([.. EncoderBenchmark.Encoders]);
        var batch = new Option<int>("--batch") { Description = "Images per forward pass.", DefaultValueFactory = _ => 8 };
        var runs = new Option<int>("--runs") { Description = "Timed runs per encoder (after one warm-up); the median is reported.", DefaultValueFactory = _ => 3 };
        foreach (var o in new[] { batch, runs })
            o.Validators.Add(r =>
            {
                if (r.GetValueOrDefault<int>() < 1) r.AddError($"{o.Name} must be at least 1.");
            });
        var command = new Command("score", "Images per second of each reward/metric image encoder at its real configuration with random weights, "
            + "batched, without grad, median of several runs.")
        {
            encoders, batch, runs,
        };
        command.SetAction(parsed =>
        {
            int b = parsed.GetValue(batch), n = parsed.GetValue(runs);
            AnsiConsole.MarkupLineInterpolated($"{Environment.ProcessorCount} logical CPU(s), TorchSharp threads {TorchSharp.torch.get_num_threads()}, batch {b}, {n} run(s)");
            var table = new Table().AddColumns("encoder", "image size", "parameters", "images/s (median)", "runs");
            foreach (var name in parsed.GetValue(encoders)!.Distinct())
            {
                var result = EncoderBenchmark.Measure(name, b, n);
                table.AddRow(name, $"{result.ImageSize}", $"{result.Parameters / 1e6:F1} M", $"{result.MedianImagesPerSecond:F2}",
                    string.Join(" ", result.RunImagesPerSecond.Select(r => r.ToString("F2", System.Globalization.CultureInfo.InvariantCulture))));
            }
            AnsiConsole.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }
}
