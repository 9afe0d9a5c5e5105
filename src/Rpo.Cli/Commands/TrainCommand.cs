using System.CommandLine;
using Rpo.Diffusion.Imaging;
using Rpo.Rewards;
using Rpo.Training;
using Rpo.Training.Adapters;
using Rpo.Training.Models;
using Spectre.Console;

namespace Rpo.Cli.Commands;

/// <summary>
/// <c>rpo train</c>: the whole RPO run for one subject in this process (<see cref="RpoTrainingRun"/>): negatives from the
/// base model, λ-Harmonic labels, training with a scored checkpoint every <c>--val-every</c> steps, and the best one.
/// </summary>
public static class TrainCommand
{
    /// <summary>Files a photo folder holds that are not photos (Finder and Explorer leave these behind).</summary>
    static readonly HashSet<string> Ignored = new(StringComparer.OrdinalIgnoreCase) { ".DS_Store", "Thumbs.db", "desktop.ini" };

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Diffusers Stable Diffusion folder to fine-tune (rpo init-model --tiny writes one).", Required = true };
        var subject = new Option<string>("--subject") { Description = "Folder of the subject's photos (JPEG or PNG; EXIF orientation is applied).", Required = true };
        var classNoun = new Option<string>("--class") { Description = "The subject's class noun (dog, backpack, …): it picks the prompt lists.", Required = true };
        var output = new Option<string>("--out") { Description = "Run folder: negatives/, labels.json, checkpoints/, rewards.json, best.json. A rerun resumes it.", Required = true };
        var rewardModel = new Option<string?>("--reward-model") { Description = "Reward encoder folder (transformers ALIGN or CLIP). Default: <model>/reward when present." };
        var encoder = RewardEncoderOption.Create("align or clip: the family the reward encoder must be (checked against its config).");
        var steps = new Option<int>("--steps") { Description = "Training steps.", DefaultValueFactory = _ => 400 };
        var valEvery = new Option<int>("--val-every") { Description = "Checkpoint and score every this many steps.", DefaultValueFactory = _ => 40 };
        var negatives = new Option<int>("--negatives") { Description = "Negative images generated per training prompt.", DefaultValueFactory = _ => 16 };
        var valImages = new Option<int>("--val-images") { Description = "Images per training prompt when scoring a checkpoint.", DefaultValueFactory = _ => 4 };
        var lambdaTrain = new Option<double>("--lambda-train") { Description = "λ of the reward that labels preferences.", DefaultValueFactory = _ => 0 };
        var lambdaVal = new Option<double>("--lambda-val") { Description = "λ of the reward that scores checkpoints.", DefaultValueFactory = _ => 0.3 };
        var beta = new Option<double>("--beta") { Description = "β of the RPO loss.", DefaultValueFactory = _ => 1 };
        var lr = new Option<double>("--lr") { Description = "AdamW learning rate.", DefaultValueFactory = _ => 5e-6 };
        var seed = new Option<long>("--seed") { Description = "Seed of negatives, labels, noise and scoring.", DefaultValueFactory = _ => 0 };
        var loraRank = new Option<int?>("--lora-rank") { Description = "Train LoRA adapters of this rank instead of the whole UNet." };
        var loraAlpha = new Option<double?>("--lora-alpha") { Description = "LoRA alpha (default: the rank, scale 1)." };
        var sampleSteps = new Option<int>("--sample-steps") { Description = "Denoising steps of every generated image (negatives and checkpoint scoring).", DefaultValueFactory = _ => 50 };
        var guidance = new Option<double>("--guidance") { Description = "Classifier-free guidance of generated images.", DefaultValueFactory = _ => 7.5 };
        var resolution = new Option<int?>("--resolution") { Description = "Training resolution in pixels (default: the UNet's sample_size × the VAE scale factor)." };
        var device = DeviceOption.Create();
        var command = new Command("train", "Fine-tune a Stable Diffusion folder on one subject with RPO and pick the best checkpoint by reward.")
        {
            model, subject, classNoun, output, rewardModel, encoder, steps, valEvery, negatives, valImages, lambdaTrain, lambdaVal, beta, lr, seed,
            loraRank, loraAlpha, sampleSteps, guidance, resolution, device,
        };
        command.SetAction((parsed, cancellation) =>
        {
            string modelFolder = parsed.GetValue(model)!;
            if (!Directory.Exists(modelFolder)) throw new UserError($"--model {modelFolder} does not exist.");
            string rewardFolder = parsed.GetValue(rewardModel) ?? Path.Combine(modelFolder, "reward");
            if (!Directory.Exists(rewardFolder))
                throw new UserError(parsed.GetValue(rewardModel) is null
                    ? $"no reward encoder: {rewardFolder} does not exist; pass --reward-model <folder> (an ALIGN or CLIP transformers folder)."
                    : $"--reward-model {rewardFolder} does not exist.");
            if (parsed.GetValue(sampleSteps) < 1) throw new UserError("--sample-steps must be at least 1.");
            var references = ReadSubject(parsed.GetValue(subject)!);
            var target = DeviceOption.Resolve(parsed.GetValue(device));

            var lora = parsed.GetValue(loraRank) is { } rank ? new LoraOptions(rank, parsed.GetValue(loraAlpha) ?? rank) : null;
            if (lora is null && parsed.GetValue(loraAlpha) is not null) throw new UserError("--lora-alpha needs --lora-rank.");

            using var reward = LoadReward(rewardFolder, parsed.GetValue(encoder));
            using var baseModel = BaseModel.Load(modelFolder, target);
            using var unet = baseModel.LoadUnet();
            var models = baseModel.TrainingModels(unet);
            int size = parsed.GetValue(resolution) ?? PipelineTrainingModels.DefaultResolution(modelFolder);
            var options = new RpoRunOptions
            {
                ClassNoun = parsed.GetValue(classNoun)!,
                NegativesPerPrompt = parsed.GetValue(negatives),
                ValidationImages = parsed.GetValue(valImages),
                LambdaTrain = parsed.GetValue(lambdaTrain),
                LambdaVal = parsed.GetValue(lambdaVal),
                Training = new TrainingOptions
                {
                    Steps = parsed.GetValue(steps), ValEvery = parsed.GetValue(valEvery), Beta = parsed.GetValue(beta),
                    LearningRate = parsed.GetValue(lr), Seed = parsed.GetValue(seed), Lora = lora, Resolution = size,
                },
            };
            try { options.Training.Validate(); }
            catch (ArgumentException e) { throw new UserError(e.Message); }
            if (options.NegativesPerPrompt < 1) throw new UserError("--negatives must be at least 1.");
            if (options.ValidationImages < 1) throw new UserError("--val-images must be at least 1.");

            // One tokenizer, text encoder and VAE serve training and generation: the base model's images come from the
            // frozen φ (the folder's UNet) and checkpoint images from θ, so no third UNet is loaded.
            var baseGenerator = baseModel.Generator(parsed.GetValue(sampleSteps), parsed.GetValue(guidance));
            var trainedGenerator = new PipelineImageGenerator(baseModel.Pipeline(unet), parsed.GetValue(sampleSteps), parsed.GetValue(guidance));
            using var scorer = new RewardModelScorer(reward, references);

            string outFolder = parsed.GetValue(output)!;
            AnsiConsole.MarkupLineInterpolated($"training {unet.Config.BlockOutChannels.Count}-level UNet on {references.Count} photos of a {options.ClassNoun} ({reward.Kind} reward, {size} px, {target})");
            RpoRunResult? result = null;
            double bestSoFar = double.NegativeInfinity;
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("negatives and labels", maxValue: options.Training.Steps);
                    string Describe(int step, double loss, int seen) =>
                        $"step {step}/{options.Training.Steps} loss {loss:F4} labels {seen} best {(double.IsFinite(bestSoFar) ? bestSoFar.ToString("F4") : "-")}";
                    int lastStep = 0; double lastLoss = double.NaN; int lastSeen = 0;
                    result = RpoTrainingRun.Run(references, models, baseGenerator, trainedGenerator, scorer, options, outFolder,
                        progress: p =>
                        {
                            (lastStep, lastLoss, lastSeen) = (p.Step, p.Loss, p.LabelsSeen);
                            task.Value = p.Step;
                            task.Description = Markup.Escape(Describe(p.Step, p.Loss, p.LabelsSeen));
                        },
                        log: message => task.Description = lastStep > 0 ? Markup.Escape(Describe(lastStep, lastLoss, lastSeen)) : Markup.Escape(message),
                        cancellation: cancellation,
                        scored: score => bestSoFar = Math.Max(bestSoFar, score.MeanReward));
                    task.Value = options.Training.Steps;
                });

            var table = new Table().AddColumns("checkpoint", "mean reward", "");
            foreach (var score in result!.Scores.OrderBy(s => s.Step))
                table.AddRow($"checkpoint-{score.Step}", score.MeanReward.ToString("F4"), score.Step == result.Best.Step ? "[green]best[/]" : "");
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLineInterpolated($"[green]best[/] checkpoint-{result.Best.Step} (reward {result.Best.MeanReward:F4}): {Path.GetFullPath(result.BestCheckpoint)}");
            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }

    static RewardModel LoadReward(string folder, string? encoder)
    {
        RewardEncoderOption.Check(folder, RewardEncoderOption.Parse(encoder), "--reward-model");
        return RewardModel.FromPretrained(folder);
    }

    /// <summary>Every photo of the folder, upright; all unreadable files are named at once so the user fixes them in one go.</summary>
    internal static IReadOnlyList<RgbImage> ReadSubject(string folder)
    {
        if (!Directory.Exists(folder)) throw new UserError($"--subject {folder} does not exist.");
        var files = Directory.GetFiles(folder)
            .Where(f => !Path.GetFileName(f).StartsWith('.') && !Ignored.Contains(Path.GetFileName(f)))
            .Where(f => (File.GetAttributes(f) & FileAttributes.Hidden) == 0)
            .Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new UserError($"--subject {folder} holds no photos.");
        var images = new List<RgbImage>();
        var bad = new List<string>();
        foreach (var file in files)
        {
            try { images.Add(ImageFile.ReadRgb(file, applyExifOrientation: true)); }
            // Decoders throw several kinds for a damaged or truncated file; any of them means "this file is bad".
            catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
            {
                bad.Add($"{Path.GetFileName(file)} ({e.Message})");
            }
        }
        if (bad.Count > 0) throw new UserError($"--subject {folder}: cannot read {string.Join("; ", bad)}.");
        return images;
    }
}
