using System.CommandLine;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Rpo.Pipeline.Gpu;
using Rpo.Pipeline.Local;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;
using Rpo.Pipeline.Subjects;
using Rpo.Rewards;
using Spectre.Console;

namespace Rpo.Cli.Commands;

/// <summary>
/// <c>rpo run</c>: the product's whole pipeline on this machine. The photos go to subjects/{subjectId}/ as a user's upload
/// would (subject.json with the class and options last), then the run orchestration runs in this process on the
/// in-process Durable Task host (<see cref="LocalRunner"/>) with the real GPU job handlers; the same uploads again
/// join or report the run they made.
/// </summary>
public static partial class RunCommand
{
    /// <summary>Mock-mode sizes (no --model: the tiny seeded model): a fresh clone finishes in a few minutes on two cores.</summary>
    public static RunOptions MockDefaults { get; } = new(
        Steps: 40, ValEvery: 10, Negatives: 2, ValImages: 1, SampleSteps: 4, BaseModel: GpuModels.Tiny, Encoder: RewardEncoder.Clip);

    public static Command Create()
    {
        var subject = new Option<string>("--subject") { Description = "Folder of 2-20 photos of the subject (JPEG/PNG, ≥ 256 px short side; other files there are not uploaded).", Required = true };
        var classNoun = new Option<string>("--class") { Description = $"The subject's class noun; it picks the training prompts. One of: {string.Join(", ", SubjectClasses.All)}.", Required = true };
        var model = new Option<string?>("--model") { Description = "Diffusers Stable Diffusion folder to fine-tune. Without it: mock mode on the tiny seeded model, with the small mock defaults each option names." };
        var storage = StorageOption.Create();
        var subjectId = new Option<string?>("--subject-id") { Description = "Id of the subject in storage (default: the folder's name). Runs and models are filed under it." };
        var steps = new Option<int?>("--steps") { Description = $"Training steps (default 400; mock {MockDefaults.Steps})." };
        var valEvery = new Option<int?>("--val-every") { Description = $"A scored checkpoint every this many steps (default 40; mock {MockDefaults.ValEvery})." };
        var negatives = new Option<int?>("--negatives") { Description = $"Negative images per training prompt (default 16; mock {MockDefaults.Negatives})." };
        var valImages = new Option<int?>("--val-images") { Description = $"Images per training prompt to score a checkpoint (default 4; mock {MockDefaults.ValImages})." };
        var sampleSteps = new Option<int?>("--sample-steps") { Description = $"Denoising steps of every generated image (default 50; mock {MockDefaults.SampleSteps})." };
        var lambdaVal = new Option<double>("--lambda-val") { Description = "λ of the reward that picks the best checkpoint: higher favours the subject's likeness, lower the prompt.", DefaultValueFactory = _ => 0.3 };
        var lambdaTrain = new Option<double>("--lambda-train") { Description = "λ of the reward that labels preferences.", DefaultValueFactory = _ => 0 };
        var loraRank = new Option<int?>("--lora-rank") { Description = "Train LoRA adapters of this rank instead of the whole UNet." };
        var seed = new Option<long>("--seed") { Description = "Seed of every random draw of the run.", DefaultValueFactory = _ => 0 };
        var beta = new Option<double>("--beta") { Description = "β of the RPO loss.", DefaultValueFactory = _ => 1 };
        var lr = new Option<double>("--lr") { Description = "AdamW learning rate.", DefaultValueFactory = _ => 5e-6 };
        var guidance = new Option<double>("--guidance") { Description = "Classifier-free guidance of generated images.", DefaultValueFactory = _ => 7.5 };
        var encoder = RewardEncoderOption.Create("Reward encoder family: align (the paper's; default) or clip (mock default). The model folder's reward/ is used when present.");
        var rewardModel = new Option<string?>("--reward-model") { Description = "Reward encoder folder (transformers ALIGN or CLIP, matching --encoder) for a --model without a reward/ subfolder." };
        var cache = new Option<string>("--cache") { Description = "Local folder for the tiny mock model and the jobs' scratch files.", DefaultValueFactory = _ => "rpo-cache" };
        var device = DeviceOption.Create();
        var command = new Command("run", """
            Personalise Stable Diffusion for one subject, end to end on this machine: upload the photos, generate negatives,
            train with RPO, score each checkpoint while training goes on, publish the best to models/<subject>/<version>/
            (UNet, rpo.json, grid.png). Running it again on the same photos and options joins or reports the same run; a
            killed run resumes from its last checkpoint. Ctrl+C cancels (nothing is published).
            Example: rpo run --subject samples/dog6 --class dog   (mock mode: the tiny model, a few minutes on a CPU)
            """)
        {
            subject, classNoun, model, storage, subjectId, steps, valEvery, negatives, valImages, sampleSteps, lambdaVal, lambdaTrain, loraRank, seed,
            beta, lr, guidance, encoder, rewardModel, cache, device,
        };
        command.SetAction(async (parsed, cancellation) =>
        {
            var wall = Stopwatch.StartNew();
            string folder = parsed.GetValue(subject)!;
            if (!Directory.Exists(folder)) throw new UserError($"--subject {folder} does not exist.");
            string? modelFolder = parsed.GetValue(model);
            if (modelFolder is not null && !Directory.Exists(modelFolder)) throw new UserError($"--model {modelFolder} does not exist.");
            var id = parsed.GetValue(subjectId) ?? SubjectIdFor(folder);
            if (SubjectIds.Problem(id) is { } idProblem) throw new UserError($"--subject-id '{id}' {idProblem}.");

            var defaults = modelFolder is null ? MockDefaults : RunOptions.Default with { BaseModel = Path.GetFullPath(modelFolder) };
            var options = defaults with
            {
                Steps = parsed.GetValue(steps) ?? defaults.Steps,
                ValEvery = parsed.GetValue(valEvery) ?? Math.Min(defaults.ValEvery, parsed.GetValue(steps) ?? defaults.Steps),
                Negatives = parsed.GetValue(negatives) ?? defaults.Negatives,
                ValImages = parsed.GetValue(valImages) ?? defaults.ValImages,
                SampleSteps = parsed.GetValue(sampleSteps) ?? defaults.SampleSteps,
                LambdaVal = parsed.GetValue(lambdaVal),
                LambdaTrain = parsed.GetValue(lambdaTrain),
                LoraRank = parsed.GetValue(loraRank),
                Seed = parsed.GetValue(seed),
                Beta = parsed.GetValue(beta),
                LearningRate = parsed.GetValue(lr),
                GuidanceScale = parsed.GetValue(guidance),
                Encoder = RewardEncoderOption.Parse(parsed.GetValue(encoder)) switch
                {
                    null => defaults.Encoder,
                    RewardEncoderKind.Clip => RewardEncoder.Clip,
                    _ => RewardEncoder.Align,
                },
            };
            if (options.Validate() is { Count: > 0 } problems) throw new UserError("options: " + string.Join("; ", problems) + ".");
            var rewardFolder = RewardFolder(modelFolder, parsed.GetValue(rewardModel), options.Encoder);
            _ = DeviceOption.Resolve(parsed.GetValue(device));

            var store = StorageOption.Open(parsed.GetValue(storage)!);
            var upload = await SubjectUpload.UploadAsync(store, id, folder, new SubjectManifest(parsed.GetValue(classNoun), options), cancellation);
            AnsiConsole.MarkupLine(Markup.Escape(
                $"subject {id}: {upload.Photos.Count} photos in {store.Location}: {StorageLayout.SubjectFolder(id)}"
                + (upload.Written.Count > 0 ? $" ({upload.Written.Count} file(s) written)" : " (unchanged)")
                + (upload.Skipped.Count > 0 ? $"; not photos, not uploaded: {string.Join(", ", upload.Skipped)}" : "")));
            AnsiConsole.MarkupLineInterpolated(
                $"{(modelFolder is null ? "mock mode (tiny model)" : options.BaseModel)}: {options.Steps} steps, checkpoint every {options.ValEvery}, {options.Negatives} negatives and {options.ValImages} scoring image(s) per prompt, {options.SampleSteps} denoising steps, λ_val {options.LambdaVal}");

            string cacheFolder = Path.GetFullPath(parsed.GetValue(cache)!);
            var deviceName = parsed.GetValue(device) is { } d && d != "auto" ? d.ToLowerInvariant() : null;
            using var models = new GpuModels(new GpuModelSettings(
                Path.Combine(cacheFolder, "models"),
                AlignRewardFolder: options.Encoder == RewardEncoder.Align ? rewardFolder : null,
                ClipRewardFolder: options.Encoder == RewardEncoder.Clip ? rewardFolder : null,
                Device: deviceName));
            string scratch = Path.Combine(cacheFolder, "scratch");
            await using var runner = await LocalRunner.StartAsync(store, progress => GpuJobHandlers.Create(store, models, progress, scratch), cancellationToken: cancellation);

            // Ctrl+C cancels the run and waits for its end (the train job stops at its next step). A second Ctrl+C, like
            // SIGTERM, ends the process at once, as a kill would: the run stays resumable.
            using var cancelRun = new CancellationTokenSource();
            ConsoleCancelEventHandler onCtrlC = (_, e) =>
            {
                if (cancelRun.IsCancellationRequested) return;
                e.Cancel = true;
                Console.Error.WriteLine("rpo: canceling the run (Ctrl+C again stops at once; rpo run then resumes it)…");
                cancelRun.Cancel();
            };
            Console.CancelKeyPress += onCtrlC;
            LocalRunResult result;
            try
            {
                result = await Follow(runner, id, parsed.GetValue(classNoun), cancelRun.Token);
            }
            finally
            {
                Console.CancelKeyPress -= onCtrlC;
            }

            AnsiConsole.MarkupLineInterpolated($"run [bold]{result.RunId.Value}[/]: {ModeText(result)}");
            RunView.WriteSummary(result.Final, store, id);
            AnsiConsole.MarkupLineInterpolated($"wall time {RunView.Seconds(wall.Elapsed.TotalSeconds)}");
            return result.Final.Succeeded ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    /// <summary>
    /// The reward encoder a real model runs with, checked before anything is uploaded: --reward-model, else the model
    /// folder's reward/ (null: the catalog finds it there, as for the mock model).
    /// </summary>
    static string? RewardFolder(string? modelFolder, string? rewardModel, RewardEncoder encoder)
    {
        if (rewardModel is null)
        {
            if (modelFolder is null || Directory.Exists(Path.Combine(modelFolder, TinyRewardModel.PipelineSubfolder))) return null;
            throw new UserError($"--model {modelFolder} has no {TinyRewardModel.PipelineSubfolder}/ reward encoder: pass --reward-model <folder> "
                + $"(a transformers {(encoder == RewardEncoder.Clip ? "CLIP, e.g. openai/clip-vit-base-patch16" : "ALIGN, e.g. kakaobrain/align-base")} folder).");
        }

        if (!Directory.Exists(rewardModel)) throw new UserError($"--reward-model {rewardModel} does not exist.");
        RewardEncoderOption.Check(rewardModel, encoder == RewardEncoder.Clip ? RewardEncoderKind.Clip : RewardEncoderKind.Align, "--reward-model");
        return Path.GetFullPath(rewardModel);
    }

    static async Task<LocalRunResult> Follow(LocalRunner runner, string subjectId, string? classNoun, CancellationToken cancelRun)
    {
        LocalRunResult? result = null;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("starting", maxValue: 1);
                result = await runner.RunAsync(subjectId, classNoun, document =>
                {
                    task.Description = Markup.Escape(RunView.Line(document));
                    if (document.Status is { TotalSteps: > 0 } status)
                    {
                        task.MaxValue = status.TotalSteps;
                        task.Value = status.Step;
                    }

                    if (document.IsFinished) task.StopTask();
                }, cancelRun);
            });
        return result!;
    }

    static string ModeText(LocalRunResult result) => result.Mode switch
    {
        LocalRunMode.Started => "ran here",
        LocalRunMode.Resumed => "ran again here, going on from the work an earlier attempt stored",
        LocalRunMode.Followed => $"another process ran it ({result.Final.Owner}); followed to its end",
        _ => $"already {result.Final.StateName} earlier; nothing was run (change a photo or an option for a new run)",
    };

    /// <summary>"My Dog (2)" → "My-Dog-2": the folder's name in the subject id alphabet.</summary>
    public static string SubjectIdFor(string folder)
    {
        var name = Path.GetFileName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
        var id = NotIdCharacters().Replace(name, "-").Trim('-', '_');
        return id.Length == 0 ? "subject" : id[..Math.Min(id.Length, SubjectIds.MaxLength)];
    }

    [GeneratedRegex("[^A-Za-z0-9_-]+")]
    private static partial Regex NotIdCharacters();
}
