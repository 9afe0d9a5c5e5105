using Rpo.Diffusion.Imaging;
using Rpo.Diffusion.Pipelines;
using static TorchSharp.torch;

namespace Rpo.Rewards.Metrics;

/// <summary>What <c>rpo eval</c> generates: the DreamBench prompts of one class, sampled with one seeded generator.</summary>
public sealed record DreamBenchGenerationSettings
{
    public int ImagesPerPrompt { get; init; } = 4;
    public int Steps { get; init; } = 25;
    public double GuidanceScale { get; init; } = 7.5;
    public long Seed { get; init; }
}

/// <summary>The figures of one evaluation: DreamBench's metrics and the mean λ-Harmonic reward at each λ.</summary>
/// <param name="MeanReward">λ → mean R_λ over all generated images</param>
public sealed record DreamBenchEvaluationResult(
    DreamBenchScores Metrics, RewardEncoderKind RewardEncoder, double MeanSImg, double MeanSTxt, IReadOnlyDictionary<double, double> MeanReward);

/// <summary>
/// A subject's DreamBench evaluation end to end: generate for each prompt (prompt-major order, image k of prompt p at
/// p·n + k), then DINO / CLIP-I / CLIP-T and the λ-Harmonic reward of the same images against the references.
/// </summary>
public static class DreamBenchEvaluation
{
    /// <summary>The λ values the evaluation reports (the paper's sweep).</summary>
    public static IReadOnlyList<double> Lambdas { get; } = [0.3, 0.5, 0.7];

    /// <summary>
    /// Generates prompt by prompt (so <paramref name="onPrompt"/> can report progress) from one generator, so the noise of a
    /// run depends only on the seed and the prompt list.
    /// </summary>
    public static IReadOnlyList<RgbImage> Generate(StableDiffusionPipeline pipeline, IReadOnlyList<string> prompts,
        DreamBenchGenerationSettings settings, Action<int>? onPrompt = null)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.ImagesPerPrompt < 1) throw new ArgumentOutOfRangeException(nameof(settings), "ImagesPerPrompt must be at least 1.");
        if (settings.Steps < 1) throw new ArgumentOutOfRangeException(nameof(settings), "Steps must be at least 1.");
        var generator = new Generator((ulong)settings.Seed);
        var images = new List<RgbImage>(prompts.Count * settings.ImagesPerPrompt);
        for (int p = 0; p < prompts.Count; p++)
        {
            using var result = pipeline.Generate(new GenerationRequest
            {
                Prompts = [prompts[p]],
                ImagesPerPrompt = settings.ImagesPerPrompt,
                Steps = settings.Steps,
                GuidanceScale = settings.GuidanceScale,
                Generator = generator,
            });
            // [0, 1] → [-1, 1] so the 8-bit conversion rounds as the saved PNGs (and diffusers' numpy_to_pil) do.
            using var signed = result.Images * 2 - 1;
            images.AddRange(ImageTensors.FromSignedTensor(signed));
            onPrompt?.Invoke(p + 1);
        }
        return images;
    }

    /// <summary>One prompt per generated image, for images made by <see cref="Generate"/>.</summary>
    public static IReadOnlyList<string> PromptPerImage(IReadOnlyList<string> prompts, int imagesPerPrompt) =>
        prompts.SelectMany(p => Enumerable.Repeat(p, imagesPerPrompt)).ToList();

    /// <summary>Scores generated images (prompt <paramref name="promptPerImage"/>[k] for image k) against the references.</summary>
    public static DreamBenchEvaluationResult Score(DreamBenchEvaluator evaluator, RewardModel rewardModel, PromptText promptText,
        IReadOnlyList<RgbImage> references, IReadOnlyList<RgbImage> generated, IReadOnlyList<string> promptPerImage)
    {
        ArgumentNullException.ThrowIfNull(evaluator);
        ArgumentNullException.ThrowIfNull(rewardModel);
        var metrics = evaluator.Evaluate(references, generated, promptPerImage);
        var reward = new LambdaHarmonicReward(rewardModel, promptText);
        var scores = reward.Score(references, generated, promptPerImage, Lambdas[0]);
        var means = Lambdas.ToDictionary(l => l, l => scores.At(l).Reward.Average(v => (double)v));
        return new DreamBenchEvaluationResult(metrics, rewardModel.Kind, scores.SImg.Average(v => (double)v), scores.STxt.Average(v => (double)v), means);
    }
}
