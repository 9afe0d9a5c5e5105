using System.CommandLine;
using Rpo.Diffusion.Imaging;
using Rpo.Diffusion.Pipelines;
using Rpo.Diffusion.Runtime;
using Rpo.Diffusion.Schedulers;
using Spectre.Console;
using TorchSharp;

namespace Rpo.Cli.Commands;

/// <summary><c>rpo generate</c>: text-to-image with a diffusers folder, writing PNGs.</summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Diffusers pipeline folder (model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/).", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "What to draw.", Required = true };
        var negative = new Option<string?>("--negative") { Description = "Negative prompt (default: empty, as diffusers)." };
        var steps = new Option<int>("--steps") { Description = "Denoising steps.", DefaultValueFactory = _ => 25 };
        var guidance = new Option<double>("--guidance") { Description = "Classifier-free guidance scale; 1 or less turns guidance off.", DefaultValueFactory = _ => 7.5 };
        var scheduler = new Option<string?>("--scheduler") { Description = "ddim, euler, dpmpp or ddpm over the model's scheduler config (default: the folder's own class, or ddim when it is not implemented here)." };
        var seed = new Option<long>("--seed") { Description = "Seed of the CPU generator that draws the initial noise (same numbers as torch.Generator().manual_seed).", DefaultValueFactory = _ => 0 };
        var width = new Option<int?>("--width") { Description = "Width in pixels (default: the UNet's sample_size × the VAE scale factor, 512 for SD 1.5)." };
        var height = new Option<int?>("--height") { Description = "Height in pixels (default as --width)." };
        var clipSkip = new Option<int>("--clip-skip") { Description = "Use the text encoder's output this many layers before the last (diffusers' clip_skip; 0 = last layer).", DefaultValueFactory = _ => 0 };
        var images = new Option<int>("--images") { Description = "Images for the prompt; more than one writes <out>-0.png, <out>-1.png, ….", DefaultValueFactory = _ => 1 };
        var device = DeviceOption.Create();
        var output = new Option<string>("--out") { Description = "PNG file to write.", Required = true };
        var command = new Command("generate", "Generate images from a prompt with a Stable Diffusion folder and write them as PNG.")
        {
            model, prompt, negative, steps, guidance, scheduler, seed, width, height, clipSkip, images, device, output,
        };
        command.SetAction(parsed =>
        {
            string folder = parsed.GetValue(model)!;
            if (!Directory.Exists(folder)) throw new UserError($"--model {folder} does not exist.");
            if (parsed.GetValue(steps) < 1) throw new UserError("--steps must be at least 1.");
            if (parsed.GetValue(images) < 1) throw new UserError("--images must be at least 1.");
            SchedulerKind? kind = parsed.GetValue(scheduler) is { } name ? ParseScheduler(name) : DefaultScheduler(folder);
            var target = DeviceOption.Resolve(parsed.GetValue(device));

            using var pipeline = StableDiffusionPipeline.FromPretrained(folder, kind, device: target);
            var request = new GenerationRequest
            {
                Prompts = [parsed.GetValue(prompt)!],
                NegativePrompts = parsed.GetValue(negative) is { } n ? [n] : null,
                Steps = parsed.GetValue(steps),
                GuidanceScale = parsed.GetValue(guidance),
                Width = parsed.GetValue(width),
                Height = parsed.GetValue(height),
                ClipSkip = parsed.GetValue(clipSkip),
                ImagesPerPrompt = parsed.GetValue(images),
                Generator = new torch.Generator((ulong)parsed.GetValue(seed)),
            };
            GenerationResult? result = null;
            AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("denoising", maxValue: request.Steps);
                    result = pipeline.Generate(request with { OnStep = s => task.Value = s.Index + 1 });
                });
            using (result)
            {
                var written = WriteImages(result!.Images, parsed.GetValue(output)!);
                foreach (var path in written) AnsiConsole.MarkupLineInterpolated($"[green]wrote[/] {path}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    static SchedulerKind ParseScheduler(string name)
    {
        try { return SchedulerFactory.ParseKind(name); }
        catch (ArgumentException e) { throw new UserError(e.Message); }
    }

    /// <summary>The folder's own sampler when implemented here; DDIM otherwise (SD 1.5 ships PNDM).</summary>
    internal static SchedulerKind DefaultScheduler(string folder) => SchedulerFactory.GenerationKind(Path.Combine(folder, "scheduler"));

    /// <summary>Images in [0, 1] → 8-bit PNGs, rounded as diffusers' numpy_to_pil.</summary>
    static List<string> WriteImages(torch.Tensor images, string output)
    {
        using var signed = images * 2 - 1;
        var rgb = ImageTensors.FromSignedTensor(signed);
        var paths = rgb.Length == 1
            ? [output]
            : Enumerable.Range(0, rgb.Length).Select(i => Path.Combine(Path.GetDirectoryName(output) ?? "", $"{Path.GetFileNameWithoutExtension(output)}-{i}.png")).ToList();
        for (int i = 0; i < rgb.Length; i++)
        {
            if (Path.GetDirectoryName(Path.GetFullPath(paths[i])) is { } dir) Directory.CreateDirectory(dir);
            PngWriter.Write(rgb[i], paths[i]);
        }
        return paths;
    }
}
