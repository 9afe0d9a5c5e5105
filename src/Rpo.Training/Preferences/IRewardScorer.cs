using Rpo.Diffusion.Imaging;

namespace Rpo.Training.Preferences;

/// <summary>
/// R_λ (the λ-Harmonic reward) of images for text prompts, against the subject's reference images that the scorer was
/// built with. Prompts arrive as the text encoder should read them (identifier already handled by the caller).
/// </summary>
public interface IRewardScorer
{
    /// <summary>One reward per image; image i is scored against prompt i.</summary>
    IReadOnlyList<double> Score(IReadOnlyList<RgbImage> images, IReadOnlyList<string> textPrompts, double lambda);
}
