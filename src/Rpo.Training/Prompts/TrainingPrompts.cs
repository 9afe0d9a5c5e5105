using System.Text.RegularExpressions;
using Rpo.Rewards.Metrics;

namespace Rpo.Training.Prompts;

/// <summary>Which prompt family a subject gets: the paper's code keeps one list for objects and one for live subjects.</summary>
public enum SubjectKind
{
    Object,
    Live,
}

/// <summary>
/// The prompts of RPO (andrew-miao/RPO <c>utils.py</c>): the reference prompt <c>a photo of [V] {class}</c>, eight training
/// prompts that place the subject in new contexts (each in an objects and a live-subjects version), and the 25 DreamBench
/// evaluation prompts (kept once, in <see cref="DreamBenchPrompts"/>). The reference chooses the list by a hard-coded list of DreamBench folder names (dog, dog2, …,
/// cat2); here the class noun decides (<see cref="KindOf"/>), so any subject folder works.
/// Prompts keep the identifier for generation; <see cref="TextPrompt"/> removes it for text scoring.
/// </summary>
public static class TrainingPrompts
{
    /// <summary>The identifier token the paper and its code use.</summary>
    public const string DefaultIdentifier = "[V]";

    /// <summary>Live or object, by the product's one classification (<see cref="DreamBenchPrompts.IsLive"/>).</summary>
    public static SubjectKind KindOf(string classNoun) => DreamBenchPrompts.IsLive(classNoun) ? SubjectKind.Live : SubjectKind.Object;

    /// <summary>The prompt the reference images are trained under: <c>a photo of [V] {class}</c>.</summary>
    public static string ReferencePrompt(string classNoun, string identifier = DefaultIdentifier) =>
        $"a photo of {identifier} {NormalizeNoun(classNoun)}";

    /// <summary>The eight training prompts (negatives are generated for these, labels are scored against them).</summary>
    public static IReadOnlyList<string> Training(string classNoun, SubjectKind? kind = null, string identifier = DefaultIdentifier)
    {
        string c = NormalizeNoun(classNoun), v = identifier;
        return (kind ?? KindOf(c)) == SubjectKind.Live
            ?
            [
                $"a {v} {c} wearing a green outfit",
                $"a {v} {c} in Vincent Van Gogh rendition",
                $"a {v} {c} with a China Great Wall in the background",
                $"a {v} {c} is swimming in a pool",
                $"a {v} {c} on a subway platform",
                $"a {v} {c} with the Statue of Liberty in the background",
                $"a {v} {c} on the Moon",
                $"a green {v} {c}",
            ]
            :
            [
                $"a {v} {c} in Vincent Van Gogh rendition",
                $"a {v} {c} on the Moon",
                $"a green {v} {c}",
                $"a {v} {c} with a China Great Wall in the background",
                $"a {v} {c} on top of wooden roof",
                $"a {v} {c} with the Statue of Liberty in the background",
                $"a {v} {c} with a volcano in the background",
                $"a {v} {c} on a subway platform",
            ];
    }

    /// <summary>The 25 DreamBench evaluation prompts (never used for training or checkpoint selection).</summary>
    public static IReadOnlyList<string> Evaluation(string classNoun, SubjectKind? kind = null, string identifier = DefaultIdentifier) =>
        DreamBenchPrompts.For(classNoun, identifier, kind is null ? null : kind == SubjectKind.Live);

    /// <summary>
    /// The prompt a text encoder scores against. By default the identifier is removed (what the paper describes and the
    /// reference's <c>remove_unique_token</c> means to do). <paramref name="referenceCompatible"/> reproduces the
    /// reference function exactly instead: its <c>\b</c> anchors never match around <c>[V]</c> between spaces, so it
    /// only collapses whitespace and the identifier stays in the text.
    /// </summary>
    public static string TextPrompt(string prompt, string identifier = DefaultIdentifier, bool referenceCompatible = false)
    {
        string pattern = referenceCompatible
            ? @"\s*\b" + Regex.Escape(identifier) + @"\b\s*"
            : @"\s*(?<!\S)" + Regex.Escape(identifier) + @"(?!\S)\s*";
        string cleaned = Regex.Replace(prompt, pattern, " ");
        return Regex.Replace(cleaned, @"\s+", " ").Trim();
    }

    static string NormalizeNoun(string classNoun) => DreamBenchPrompts.NormalizeNoun(classNoun);
}
