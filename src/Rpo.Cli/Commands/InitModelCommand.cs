using System.CommandLine;
using Rpo.Rewards;
using Spectre.Console;

namespace Rpo.Cli.Commands;

/// <summary><c>rpo init-model --tiny &lt;out&gt;</c>: the seeded mock model the product and its tests run on.</summary>
public static class InitModelCommand
{
    public static Command Create()
    {
        var tiny = new Option<bool>("--tiny") { Description = "Write the tiny seeded Stable Diffusion 1.x-shaped pipeline (64×64 images, a few MB). Required: it is the only kind so far." };
        var seed = new Option<int>("--seed") { Description = "Seed of the random weights.", DefaultValueFactory = _ => 0 };
        var force = new Option<bool>("--force") { Description = "Write into a folder that is not empty." };
        var output = new Argument<string>("out") { Description = "Folder to write the diffusers pipeline into." };
        var command = new Command("init-model", "Write a seeded tiny diffusers pipeline folder (tokenizer included) and a tiny CLIP reward encoder in <out>/reward, for mock runs and tests.")
        {
            tiny, seed, force, output,
        };
        command.SetAction(parsed =>
        {
            if (!parsed.GetValue(tiny)) throw new UserError("say which model to write: only --tiny exists (real weights are downloaded with the Hugging Face tools).");
            string folder = parsed.GetValue(output)!;
            if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any() && !parsed.GetValue(force))
                throw new UserError($"{folder} is not empty; pass --force to write into it.");
            // With the reward encoder `rpo train` finds by default (<model>/reward).
            TinyRewardModel.WriteWithPipeline(folder, parsed.GetValue(seed));
            AnsiConsole.MarkupLineInterpolated($"[green]wrote[/] a tiny Stable Diffusion pipeline and reward encoder (seed {parsed.GetValue(seed)}) to {Path.GetFullPath(folder)}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
