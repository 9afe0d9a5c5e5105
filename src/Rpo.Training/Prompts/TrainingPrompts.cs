using System.Text.RegularExpressions;

namespace Rpo.Training.Prompts;

/// <summary>Which prompt family a subject gets: the paper's code keeps one list for objects and one for live subjects.</summary>
public enum SubjectKind
{
    Object,
    Live,
}

/// <summary>
/// The prompts of RPO (andrew-miao/RPO <c>utils.py</c>): the reference prompt <c>a photo of [V] {class}</c>, eight training
/// prompts that place the subject in new contexts, and the 25 DreamBench evaluation prompts, each list in an objects and a
/// live-subjects version. The reference chooses the list by a hard-coded list of DreamBench folder names (dog, dog2, …,
/// cat2); here the class noun decides (<see cref="KindOf"/>), so any subject folder works.
/// Prompts keep the identifier for generation; <see cref="TextPrompt"/> removes it for text scoring.
/// </summary>
public static class TrainingPrompts
{
    /// <summary>The identifier token the paper and its code use.</summary>
    public const string DefaultIdentifier = "[V]";

    /// <summary>
    /// Class nouns treated as live subjects (DreamBench's live subjects are dogs and cats; the other animals and people
    /// get the same list because its outfit/action prompts fit them and the object list's do not). Matched on the
    /// noun's last word, case-insensitively, so "corgi dog" and "Tabby Cat" are live too.
    /// </summary>
    public static IReadOnlySet<string> LiveSubjectNouns { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "dog", "puppy", "cat", "kitten", "pet", "bird", "parrot", "owl", "duck", "chicken", "horse", "pony",
        "cow", "pig", "sheep", "goat", "rabbit", "bunny", "hamster", "guinea pig", "mouse", "rat", "ferret", "fox",
        "wolf", "bear", "panda", "monkey", "lion", "tiger", "turtle", "tortoise", "lizard", "frog", "fish",
        "person", "man", "woman", "boy", "girl", "child", "kid", "baby",
    };

    /// <summary>Words that make a live noun an object ("teddy bear", "toy dog", DreamBench's "stuffed animal").</summary>
    public static IReadOnlySet<string> ObjectModifiers { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "toy", "stuffed", "plush", "plushie", "teddy", "robot", "figurine", "statue", "ceramic", "wooden", "cartoon",
    };

    /// <summary>Live when the noun (or its last word) is in <see cref="LiveSubjectNouns"/> and no word of it is in
    /// <see cref="ObjectModifiers"/>; an object otherwise.</summary>
    public static SubjectKind KindOf(string classNoun)
    {
        string noun = NormalizeNoun(classNoun);
        var words = noun.Split(' ');
        if (words.Any(ObjectModifiers.Contains)) return SubjectKind.Object;
        return LiveSubjectNouns.Contains(noun) || LiveSubjectNouns.Contains(words[^1]) ? SubjectKind.Live : SubjectKind.Object;
    }

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
    public static IReadOnlyList<string> Evaluation(string classNoun, SubjectKind? kind = null, string identifier = DefaultIdentifier)
    {
        string c = NormalizeNoun(classNoun), v = identifier;
        string[] shared =
        [
            "in the jungle", "in the snow", "on the beach", "on a cobblestone street", "on top of pink fabric",
            "on top of a wooden floor", "with a city in the background", "with a mountain in the background",
            "with a blue house in the background", "on top of a purple rug in a forest",
        ];
        string[] specific = (kind ?? KindOf(c)) == SubjectKind.Live
            ?
            [
                "wearing a red hat", "wearing a santa hat", "wearing a rainbow scarf", "wearing a black top hat and a monocle",
                "in a chef outfit", "in a firefighter outfit", "in a police outfit", "wearing pink glasses",
                "wearing a yellow shirt", "in a purple wizard outfit",
            ]
            :
            [
                "with a wheat field in the background", "with a tree and autumn leaves in the background",
                "with the Eiffel Tower in the background", "floating on top of water", "floating in an ocean of milk",
                "on top of green grass with sunflowers around it", "on top of a mirror",
                "on top of the sidewalk in a crowded street", "on top of a dirt road", "on top of a white rug",
            ];
        var prompts = shared.Concat(specific).Select(s => $"a {v} {c} {s}").ToList();
        prompts.AddRange([$"a red {v} {c}", $"a purple {v} {c}", $"a shiny {v} {c}", $"a wet {v} {c}", $"a cube shaped {v} {c}"]);
        return prompts;
    }

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

    static string NormalizeNoun(string classNoun)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(classNoun);
        return Regex.Replace(classNoun.Trim(), @"\s+", " ");
    }
}
