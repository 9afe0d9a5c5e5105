using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Rpo.Diffusion.Imaging;
using Rpo.Diffusion.Pipelines;
using Rpo.Rewards;
using Rpo.Rewards.Metrics;
using Spectre.Console;

namespace Rpo.Cli.Commands;

/// <summary>
/// <c>rpo eval</c>: DreamBench evaluation of a model for one subject: generate for the 25 prompts of the subject's class,
/// write the images, DINO / CLIP-I / CLIP-T and the λ-Harmonic reward (JSON and a table), and a contact sheet.
/// </summary>
public static class EvalCommand
{
    public const string MetricsFileName = "metrics.json";
    public const string ContactSheetFileName = "contact-sheet.png";
    public const string ImagesFolderName = "images";

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Diffusers pipeline folder to evaluate (e.g. the base model with the fine-tuned unet/).", Required = true };
        var subject = new Option<DirectoryInfo>("--subject") { Description = "Folder of the subject's reference images.", Required = true };
        var classNoun = new Option<string>("--class") { Description = "The subject's class noun (dog, backpack, …); it picks DreamBench's live or object prompt list.", Required = true };
        var imagesPerPrompt = new Option<int>("--images-per-prompt") { Description = "Images generated for each prompt.", DefaultValueFactory = _ => 4 };
        var clip = new Option<DirectoryInfo>("--clip") { Description = "transformers CLIP folder for CLIP-I and CLIP-T (e.g. openai/clip-vit-base-patch16); also the reward model without --align.", Required = true };
        var dino = new Option<DirectoryInfo>("--dino") { Description = "transformers ViT folder for DINO (e.g. facebook/dino-vits16).", Required = true };
        var align = new Option<DirectoryInfo?>("--align") { Description = "transformers ALIGN folder for the λ-Harmonic reward (e.g. kakaobrain/align-base); default: the --clip model." };
        var output = new Option<string>("--out") { Description = $"Output folder: {ImagesFolderName}/, {MetricsFileName}, {ContactSheetFileName}.", DefaultValueFactory = _ => "eval" };
        var steps = new Option<int>("--steps") { Description = "Denoising steps.", DefaultValueFactory = _ => 25 };
        var guidance = new Option<double>("--guidance") { Description = "Classifier-free guidance scale; 1 or less turns guidance off.", DefaultValueFactory = _ => 7.5 };
        var seed = new Option<long>("--seed") { Description = "Seed of the CPU generator that draws all the initial noise, prompt after prompt.", DefaultValueFactory = _ => 0 };
        var paperCompat = new Option<bool>("--paper-compat")
        {
            Description = "Encode prompts for CLIP-T and the reward as RPO's published code does ('[V]' left in the text). Default: strip it, as the paper describes.",
        };
        var device = DeviceOption.Create();
        var command = new Command("eval", "DreamBench evaluation for one subject: generate for the 25 prompts (with the identifier [V]), "
            + "then DINO, CLIP-I, CLIP-T and the λ-Harmonic reward at λ 0.3/0.5/0.7; writes the images, a metrics JSON and a contact sheet.")
        {
            model, subject, classNoun, imagesPerPrompt, clip, dino, align, output, steps, guidance, seed, paperCompat, device,
        };
        command.SetAction(parsed => Run(new EvalArgs(
            parsed.GetValue(model)!, parsed.GetValue(subject)!, parsed.GetValue(classNoun)!, parsed.GetValue(imagesPerPrompt),
            parsed.GetValue(clip)!, parsed.GetValue(dino)!, parsed.GetValue(align), parsed.GetValue(output)!, parsed.GetValue(steps),
            parsed.GetValue(guidance), parsed.GetValue(seed), parsed.GetValue(paperCompat), parsed.GetValue(device))));
        return command;
    }

    sealed record EvalArgs(string Model, DirectoryInfo Subject, string Class, int ImagesPerPrompt, DirectoryInfo Clip, DirectoryInfo Dino,
        DirectoryInfo? Align, string Out, int Steps, double Guidance, long Seed, bool PaperCompat, string? Device);

    static int Run(EvalArgs a)
    {
        if (!Directory.Exists(a.Model)) throw new UserError($"--model {a.Model} does not exist.");
        if (string.IsNullOrWhiteSpace(a.Class)) throw new UserError("--class must name the subject's class (dog, backpack, …).");
        if (a.ImagesPerPrompt < 1) throw new UserError("--images-per-prompt must be at least 1.");
        if (a.Steps < 1) throw new UserError("--steps must be at least 1.");
        foreach (var (folder, name) in new[] { (a.Clip, "--clip"), (a.Dino, "--dino"), (a.Align, "--align") })
            if (folder is { Exists: false }) throw new UserError($"{name} {folder.FullName} does not exist.");
        // Checked before the long generation: a wrong --align folder should fail in seconds, not after 25 prompts.
        if (a.Align is not null && Load(() => RewardModel.DetectKind(a.Align.FullName), $"--align {a.Align.FullName}") != RewardEncoderKind.Align)
            throw new UserError($"--align {a.Align.FullName} does not hold an ALIGN model.");
        var referenceFiles = ScoreCommand.ImageFiles(a.Subject, "subject");
        var references = referenceFiles.Select(f => ReadImage(f)).ToList();
        var target = DeviceOption.Resolve(a.Device);
        var prompts = DreamBenchPrompts.For(a.Class);
        var settings = new DreamBenchGenerationSettings { ImagesPerPrompt = a.ImagesPerPrompt, Steps = a.Steps, GuidanceScale = a.Guidance, Seed = a.Seed };

        string outDir = Path.GetFullPath(a.Out);
        string imagesDir = Path.Combine(outDir, ImagesFolderName);
        Directory.CreateDirectory(imagesDir);
        AnsiConsole.MarkupLineInterpolated($"{(DreamBenchPrompts.IsLive(a.Class) ? "live" : "object")} prompts for class '{a.Class}', {a.ImagesPerPrompt} image(s) each, {referenceFiles.Count} reference image(s)");

        // One model in memory at a time: the pipeline goes before the encoders are loaded.
        IReadOnlyList<RgbImage> generated = [];
        using (var pipeline = StableDiffusionPipeline.FromPretrained(a.Model, GenerateCommand.DefaultScheduler(a.Model), device: target))
        {
            AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("prompts", maxValue: prompts.Count);
                    generated = DreamBenchEvaluation.Generate(pipeline, prompts, settings, done => task.Value = done);
                });
        }
        var imageFiles = new List<string>(generated.Count);
        for (int i = 0; i < generated.Count; i++)
        {
            string path = Path.Combine(imagesDir, string.Create(CultureInfo.InvariantCulture, $"{i / a.ImagesPerPrompt:D2}-{i % a.ImagesPerPrompt}.png"));
            PngWriter.Write(generated[i], path);
            imageFiles.Add(path);
        }
        string sheet = Path.Combine(outDir, ContactSheetFileName);
        PngWriter.Write(ImageGrid.Compose(generated, columns: a.ImagesPerPrompt), sheet);

        var promptText = new PromptText(PaperCompat: a.PaperCompat);
        var perImage = DreamBenchEvaluation.PromptPerImage(prompts, a.ImagesPerPrompt);
        string rewardFolder = (a.Align ?? a.Clip).FullName;
        DreamBenchEvaluationResult result;
        AnsiConsole.MarkupLine("scoring …");
        using (var evaluator = Load(() => DreamBenchEvaluator.FromPretrained(a.Clip.FullName, a.Dino.FullName, promptText), "the CLIP / DINO models"))
        using (var rewardModel = Load(() => RewardModel.FromPretrained(rewardFolder), $"the reward model {rewardFolder}"))
        {
            result = DreamBenchEvaluation.Score(evaluator, rewardModel, promptText, references, generated, perImage);
        }

        var document = new
        {
            model = Path.GetFullPath(a.Model),
            subject = a.Subject.FullName,
            @class = a.Class,
            live = DreamBenchPrompts.IsLive(a.Class),
            images_per_prompt = a.ImagesPerPrompt,
            steps = a.Steps,
            guidance = a.Guidance,
            seed = a.Seed,
            paper_compat = a.PaperCompat,
            clip = a.Clip.FullName,
            dino = a.Dino.FullName,
            reward_model = rewardFolder,
            reward_encoder = result.RewardEncoder.ToString().ToLowerInvariant(),
            references = referenceFiles,
            prompts,
            images = imageFiles,
            contact_sheet = sheet,
            dino_score = result.Metrics.Dino,
            clip_i = result.Metrics.ClipI,
            clip_t = result.Metrics.ClipT,
            s_img = result.MeanSImg,
            s_txt = result.MeanSTxt,
            reward = result.MeanReward.ToDictionary(kv => kv.Key.ToString("0.0##", CultureInfo.InvariantCulture), kv => kv.Value),
        };
        string metricsPath = Path.Combine(outDir, MetricsFileName);
        File.WriteAllText(metricsPath, JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }));

        var table = new Table().AddColumns("metric", "value");
        table.AddRow("DINO", $"{result.Metrics.Dino:F4}");
        table.AddRow("CLIP-I", $"{result.Metrics.ClipI:F4}");
        table.AddRow("CLIP-T", $"{result.Metrics.ClipT:F4}");
        foreach (var (lambda, value) in result.MeanReward)
            table.AddRow(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"R_λ (λ = {lambda}, {document.reward_encoder})")), $"{value:F4}");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"[green]wrote[/] {generated.Count} images under {imagesDir}, {metricsPath}, {sheet}");
        return ExitCodes.Ok;
    }

    static RgbImage ReadImage(string file)
    {
        try
        {
            return ImageFile.ReadRgb(file, applyExifOrientation: true);
        }
        catch (Exception e) when (e is ImageDecodeException or InvalidDataException or NotSupportedException or IOException)
        {
            throw new UserError($"{file}: not a readable image ({e.Message}).");
        }
    }

    static T Load<T>(Func<T> load, string what)
    {
        try
        {
            return load();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or NotSupportedException or InvalidDataException
            or ArgumentException or Rpo.Diffusion.Weights.WeightLoadException or JsonException)
        {
            throw new UserError($"cannot load {what}: {e.Message}");
        }
    }
}
