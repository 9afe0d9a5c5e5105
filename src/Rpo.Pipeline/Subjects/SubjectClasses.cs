using Rpo.Rewards.Metrics;

namespace Rpo.Pipeline.Subjects;

/// <summary>
/// The class nouns a subject may have: DreamBench's classes (<see cref="DreamBenchPrompts.Classes"/>). A class decides which
/// prompt list trains it (live subjects get outfits and hats, objects get materials and places), so a noun outside
/// this list is refused rather than guessed. Live or object is <see cref="DreamBenchPrompts.IsLive"/>'s answer, the one
/// classification Training uses too.
/// </summary>
public static class SubjectClasses
{
    /// <summary>Animals: DreamBench's "live subject" prompts.</summary>
    public static IReadOnlyList<string> Live { get; } = [.. DreamBenchPrompts.Classes.Where(DreamBenchPrompts.IsLive)];

    /// <summary>Everything else: DreamBench's "object" prompts.</summary>
    public static IReadOnlyList<string> Objects { get; } = [.. DreamBenchPrompts.Classes.Where(c => !DreamBenchPrompts.IsLive(c))];

    public static IReadOnlyList<string> All { get; } = [.. DreamBenchPrompts.Classes.Order(StringComparer.Ordinal)];

    public static bool IsKnown(string? classNoun) => classNoun is not null && All.Contains(classNoun, StringComparer.Ordinal);

    public static bool IsLive(string classNoun) => DreamBenchPrompts.IsLive(classNoun);
}
