namespace Rpo.Training.Preferences;

/// <summary>
/// One training pair: reference image <see cref="ReferenceIndex"/> (trained under the reference prompt) against generated
/// image <see cref="NegativeIndex"/> of training prompt <see cref="PromptIndex"/>; both were scored against that prompt.
/// </summary>
/// <param name="Probability">σ(R(reference) − R(generated)) in float32, as the reference computes it.</param>
/// <param name="Label">1 when the reference image is preferred (drawn from Bernoulli(<see cref="Probability"/>)).</param>
public sealed record PreferencePair(
    int Index,
    int PromptIndex,
    string Prompt,
    string TextPrompt,
    int ReferenceIndex,
    int NegativeIndex,
    double ReferenceReward,
    double GeneratedReward,
    double Probability,
    int Label);
