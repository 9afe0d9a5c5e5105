using Rpo.Diffusion.Imaging;
using Rpo.Rewards;
using Rpo.Training.Preferences;
using static TorchSharp.torch;

namespace Rpo.Training.Adapters;

/// <summary>
/// <see cref="IRewardScorer"/> over Rpo.Rewards' <see cref="LambdaHarmonicReward"/>. The subject's reference images are
/// encoded once here and reused for every labelling and checkpoint score, since they never change during a run.
/// The reward model is borrowed, not owned; dispose this to free the cached features.
/// </summary>
public sealed class RewardModelScorer : IRewardScorer, IDisposable
{
    readonly Tensor referenceFeatures;

    public RewardModelScorer(RewardModel model, IReadOnlyList<RgbImage> references, PromptText? promptText = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(references);
        if (references.Count == 0) throw new ArgumentException("At least one reference image is needed.", nameof(references));
        Reward = new LambdaHarmonicReward(model, promptText);
        using var scope = NewDisposeScope();
        referenceFeatures = Reward.ReferenceFeatures(references).detach().MoveToOuterDisposeScope();
    }

    public LambdaHarmonicReward Reward { get; }

    /// <summary>The cached reference features [R, D].</summary>
    public Tensor ReferenceFeatures => referenceFeatures;

    public IReadOnlyList<double> Score(IReadOnlyList<RgbImage> images, IReadOnlyList<string> textPrompts, double lambda)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(textPrompts);
        if (textPrompts.Count != images.Count)
            throw new ArgumentException($"One prompt per image: {textPrompts.Count} prompts for {images.Count} images.", nameof(textPrompts));
        using var scope = NewDisposeScope();
        return Reward.Score(referenceFeatures, images, textPrompts, lambda).Reward.Select(r => (double)r).ToArray();
    }

    public void Dispose() => referenceFeatures.Dispose();
}
