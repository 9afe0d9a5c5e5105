using Rpo.Diffusion.Imaging;
using Rpo.Training.Negatives;
using Rpo.Training.Preferences;
using Rpo.Training.Prompts;
using TorchSharp;

namespace Rpo.Training.Validation;

/// <summary>The reward of one checkpoint: its mean over prompts and each prompt's mean over its images.</summary>
public sealed record CheckpointScore(int Step, double MeanReward, IReadOnlyList<PromptScore> Prompts);

public sealed record PromptScore(string Prompt, string TextPrompt, IReadOnlyList<double> Rewards)
{
    public double Mean => Rewards.Average();
}

/// <summary>
/// Step 6 (model selection): a checkpoint generates <c>imagesPerPrompt</c> images for each training prompt with the
/// checkpoint's UNet and is scored by the mean of R_λval over prompts (each prompt's mean over its images), as the
/// reference's <c>validation</c> averages per-prompt means. Image k of prompt i uses seed <c>seed + i·n + k</c> for
/// every checkpoint, so checkpoints are compared on the same noise (the reference reseeds one generator per validation).
/// Scoring runs without gradients, so a caller needs no torch of its own.
/// </summary>
public static class CheckpointScoring
{
    public static CheckpointScore Score(int step, IImageGenerator generator, IRewardScorer scorer, IReadOnlyList<string> prompts,
        int imagesPerPrompt, double lambda, long seed, string identifier = TrainingPrompts.DefaultIdentifier,
        bool referenceCompatibleTextPrompts = false, Action<int, string, RgbImage>? onImage = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imagesPerPrompt);
        if (prompts.Count == 0) throw new ArgumentException("no prompts.", nameof(prompts));
        using var noGrad = torch.no_grad();
        var scores = new List<PromptScore>();
        for (int i = 0; i < prompts.Count; i++)
        {
            var images = new List<RgbImage>();
            for (int k = 0; k < imagesPerPrompt; k++)
            {
                var image = generator.Generate(prompts[i], seed + (long)i * imagesPerPrompt + k);
                onImage?.Invoke(i * imagesPerPrompt + k, prompts[i], image);
                images.Add(image);
            }
            string text = TrainingPrompts.TextPrompt(prompts[i], identifier, referenceCompatibleTextPrompts);
            var rewards = scorer.Score(images, Enumerable.Repeat(text, images.Count).ToList(), lambda);
            if (rewards.Count != images.Count)
                throw new InvalidOperationException($"the reward scorer returned {rewards.Count} rewards for {images.Count} images.");
            scores.Add(new PromptScore(prompts[i], text, rewards.ToList()));
        }
        return new CheckpointScore(step, scores.Average(s => s.Mean), scores);
    }

    /// <summary>The checkpoint to publish: the highest mean reward; on a tie the earlier step.</summary>
    public static CheckpointScore Best(IEnumerable<CheckpointScore> scores) =>
        scores.OrderByDescending(s => s.MeanReward).ThenBy(s => s.Step).FirstOrDefault()
        ?? throw new ArgumentException("no checkpoint scores.", nameof(scores));
}
