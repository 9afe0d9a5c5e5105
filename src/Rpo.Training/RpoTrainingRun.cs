using System.Text.Json;
using Rpo.Diffusion.Imaging;
using Rpo.Training.Negatives;
using Rpo.Training.Preferences;
using Rpo.Training.Prompts;
using Rpo.Training.Validation;
using static TorchSharp.torch;

namespace Rpo.Training;

/// <summary>What a whole run needs besides the models: the subject's class and the RPO knobs of steps 1, 3 and 6.</summary>
public sealed record RpoRunOptions
{
    public required string ClassNoun { get; init; }
    public string Identifier { get; init; } = TrainingPrompts.DefaultIdentifier;
    /// <summary>Objects or live subjects; null decides by the class noun.</summary>
    public SubjectKind? Kind { get; init; }
    public int NegativesPerPrompt { get; init; } = 16;
    public int ValidationImages { get; init; } = 4;
    public double LambdaTrain { get; init; }
    public double LambdaVal { get; init; } = 0.3;
    /// <summary>Score prompts with the identifier left in, as the reference's remove_unique_token does.</summary>
    public bool ReferenceCompatibleTextPrompts { get; init; }
    public TrainingOptions Training { get; init; } = new();
}

/// <summary>The outcome: labels, every checkpoint's reward and the chosen one.</summary>
public sealed record RpoRunResult(PreferenceRecord Labels, IReadOnlyList<CheckpointScore> Scores, CheckpointScore Best, string BestCheckpoint);

/// <summary>
/// Steps 1–6 in one process, for <c>rpo train</c>: negatives from the base model (<c>negatives/</c>), labels
/// (<c>labels.json</c>), training with a checkpoint every ValEvery steps (<c>checkpoints/checkpoint-{step}</c>), each
/// scored in line with the UNet being trained (<c>rewards.json</c>), and the best (<c>best.json</c>). Existing negatives
/// and labels are reused and the run continues from its latest checkpoint, so an interrupted run can be restarted.
/// </summary>
public static class RpoTrainingRun
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <param name="baseGenerator">The frozen base pipeline (negatives).</param>
    /// <param name="trainedGenerator">A pipeline over the UNet being trained (called at each checkpoint).</param>
    /// <param name="scored">Called with each checkpoint's score as soon as it is computed.</param>
    public static RpoRunResult Run(IReadOnlyList<RgbImage> references, TrainingModels models, IImageGenerator baseGenerator,
        IImageGenerator trainedGenerator, IRewardScorer scorer, RpoRunOptions options, string outputFolder,
        Action<TrainingProgress>? progress = null, Action<string>? log = null, CancellationToken cancellation = default,
        Action<CheckpointScore>? scored = null)
    {
        var training = options.Training;
        var prompts = TrainingPrompts.Training(options.ClassNoun, options.Kind, options.Identifier);
        Directory.CreateDirectory(outputFolder);

        string negativesFolder = Path.Combine(outputFolder, "negatives");
        var negatives = File.Exists(Path.Combine(negativesFolder, NegativeSet.ManifestName))
            ? NegativeSet.Load(negativesFolder)
            : NegativeSet.Generate(baseGenerator, prompts, options.NegativesPerPrompt, training.Seed, negativesFolder,
                (done, total) => log?.Invoke($"negative {done}/{total}"));
        var negativeImages = negatives.Read(negativesFolder);

        string labelsPath = Path.Combine(outputFolder, "labels.json");
        var labels = File.Exists(labelsPath)
            ? PreferenceRecord.Load(labelsPath)
            : PreferenceLabels.Build(references, negativeImages, scorer, options.LambdaTrain, training.Seed, options.Identifier,
                options.ReferenceCompatibleTextPrompts);
        labels.Save(labelsPath);
        log?.Invoke($"labels: {labels.LabelsPreferringReference}/{labels.Pairs.Count} prefer the reference image");

        var data = new TrainingData(references, TrainingPrompts.ReferencePrompt(options.ClassNoun, options.Identifier),
            negativeImages.Select(n => n.Image).ToList(), labels);
        string checkpoints = Path.Combine(outputFolder, "checkpoints");
        string rewardsPath = Path.Combine(outputFolder, "rewards.json");
        var scores = File.Exists(rewardsPath)
            ? JsonSerializer.Deserialize<List<CheckpointScore>>(File.ReadAllText(rewardsPath), Json) ?? []
            : [];

        using var trainer = new RpoTrainer(models, data, training);
        if (LatestCheckpoint(checkpoints) is { } latest)
        {
            trainer.LoadCheckpoint(latest);
            scores.RemoveAll(s => s.Step > trainer.Step);
            log?.Invoke($"resumed at step {trainer.Step}");
        }
        trainer.Train(checkpoints, progress, (step, folder) =>
        {
            models.Unet.eval();
            try
            {
                using var _ = no_grad();
                var score = CheckpointScoring.Score(step, trainedGenerator, scorer, prompts, options.ValidationImages,
                    options.LambdaVal, training.Seed, options.Identifier, options.ReferenceCompatibleTextPrompts);
                scores.Add(score);
                File.WriteAllText(rewardsPath, JsonSerializer.Serialize(scores, Json));
                log?.Invoke($"checkpoint {step}: reward {score.MeanReward:F4}");
                scored?.Invoke(score);
            }
            finally
            {
                models.Unet.train();
            }
        }, cancellation: cancellation);

        var best = CheckpointScoring.Best(scores);
        string bestFolder = Path.Combine(checkpoints, $"checkpoint-{best.Step}");
        File.WriteAllText(Path.Combine(outputFolder, "best.json"),
            JsonSerializer.Serialize(new { step = best.Step, mean_reward = best.MeanReward, checkpoint = Path.GetRelativePath(outputFolder, bestFolder) }, Json));
        return new RpoRunResult(labels, scores, best, bestFolder);
    }

    static string? LatestCheckpoint(string folder) =>
        !Directory.Exists(folder) ? null
        : Directory.GetDirectories(folder, "checkpoint-*")
            .Where(d => File.Exists(Path.Combine(d, RpoTrainer.StateName)))
            .Select(d => (Dir: d, Ok: int.TryParse(Path.GetFileName(d)["checkpoint-".Length..], out int s), Step: s))
            .Where(x => x.Ok).OrderBy(x => x.Step).Select(x => x.Dir).LastOrDefault();
}
