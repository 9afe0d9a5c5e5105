using Rpo.Diffusion.Imaging;
using Rpo.Training.Prompts;
using static TorchSharp.torch;

namespace Rpo.Training.Preferences;

/// <summary>A generated image and the training prompt it was generated for.</summary>
public sealed record LabeledNegative(RgbImage Image, int PromptIndex, string Prompt);

/// <summary>
/// Step 3 of RPO: every generated image j is paired with reference image r = j % n_ref; both are scored with R_λ against
/// j's training prompt and the label is l ~ Bernoulli(σ(R(ref) − R(gen))). Labels are drawn once, from a generator seeded
/// with <c>seed</c>, and recorded; the reference code instead re-draws them each time the data loader yields a pair
/// (and pairs a generated image with the reward of reference <c>promptIndex % n_ref</c> whatever image it trains on).
/// Scoring runs without gradients, so a caller needs no torch of its own.
/// </summary>
public static class PreferenceLabels
{
    public static PreferenceRecord Build(
        IReadOnlyList<RgbImage> references, IReadOnlyList<LabeledNegative> negatives, IRewardScorer scorer,
        double lambda, long seed, string identifier = TrainingPrompts.DefaultIdentifier, bool referenceCompatibleTextPrompts = false)
    {
        if (references.Count == 0) throw new ArgumentException("no reference images.", nameof(references));
        if (negatives.Count == 0) throw new ArgumentException("no generated images.", nameof(negatives));
        if (lambda is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "λ must lie in [0, 1].");

        using var noGrad = no_grad();
        string Text(string prompt) => TrainingPrompts.TextPrompt(prompt, identifier, referenceCompatibleTextPrompts);

        // One scoring call: the (reference, prompt) combinations the pairs need, then the generated images.
        var referenceKeys = new List<(int Reference, int PromptIndex, string Prompt)>();
        var referenceSlot = new Dictionary<(int, int), int>();
        for (int j = 0; j < negatives.Count; j++)
        {
            var key = (j % references.Count, negatives[j].PromptIndex);
            if (referenceSlot.TryAdd(key, referenceKeys.Count)) referenceKeys.Add((key.Item1, key.Item2, negatives[j].Prompt));
        }
        var images = referenceKeys.Select(k => references[k.Reference]).Concat(negatives.Select(n => n.Image)).ToList();
        var prompts = referenceKeys.Select(k => Text(k.Prompt)).Concat(negatives.Select(n => Text(n.Prompt))).ToList();
        var rewards = scorer.Score(images, prompts, lambda);
        if (rewards.Count != images.Count)
            throw new InvalidOperationException($"the reward scorer returned {rewards.Count} rewards for {images.Count} images.");

        var referenceRewards = new float[negatives.Count];
        var generatedRewards = new float[negatives.Count];
        for (int j = 0; j < negatives.Count; j++)
        {
            referenceRewards[j] = (float)rewards[referenceSlot[(j % references.Count, negatives[j].PromptIndex)]];
            generatedRewards[j] = (float)rewards[referenceKeys.Count + j];
        }

        float[] probabilities;
        long[] labels;
        using (var scope = NewDisposeScope())
        using (var generator = new Generator((ulong)seed))
        {
            var p = (tensor(referenceRewards) - tensor(generatedRewards)).sigmoid();
            probabilities = p.data<float>().ToArray();
            labels = bernoulli(p, generator).to_type(ScalarType.Int64).data<long>().ToArray();
        }

        var pairs = new PreferencePair[negatives.Count];
        for (int j = 0; j < negatives.Count; j++)
            pairs[j] = new PreferencePair(j, negatives[j].PromptIndex, negatives[j].Prompt, Text(negatives[j].Prompt),
                j % references.Count, j, referenceRewards[j], generatedRewards[j], probabilities[j], (int)labels[j]);
        return new PreferenceRecord(lambda, seed, referenceCompatibleTextPrompts, pairs);
    }
}
