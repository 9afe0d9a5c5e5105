namespace Rpo.Pipeline.Subjects;

/// <summary>
/// The class nouns a subject may have: DreamBench's classes (dataset/prompts_and_classes.txt). A class decides which
/// prompt list trains it (live subjects get outfits and hats, objects get materials and places), so a noun outside
/// this list is refused rather than guessed.
/// </summary>
public static class SubjectClasses
{
    /// <summary>Animals: DreamBench's "live subject" prompts.</summary>
    public static IReadOnlyList<string> Live { get; } = ["cat", "dog"];

    /// <summary>Everything else: DreamBench's "object" prompts.</summary>
    public static IReadOnlyList<string> Objects { get; } =
        ["backpack", "boot", "bowl", "can", "candle", "cartoon", "clock", "glasses", "sneaker", "stuffed animal", "teapot", "toy", "vase"];

    public static IReadOnlyList<string> All { get; } = [.. Live.Concat(Objects).Order(StringComparer.Ordinal)];

    public static bool IsKnown(string? classNoun) => classNoun is not null && All.Contains(classNoun, StringComparer.Ordinal);

    public static bool IsLive(string classNoun) => Live.Contains(classNoun, StringComparer.Ordinal);
}
