namespace Rpo.Rewards.Metrics;

/// <summary>
/// DreamBench's 25 evaluation prompts (DreamBooth, Ruiz et al. 2023, <c>prompts_and_classes.txt</c>): one list for
/// objects and one for live subjects, each <c>"a {identifier} {class} …"</c>. Which list applies is decided by the
/// class noun (an animal is live), so subjects outside DreamBench get the right list too.
/// </summary>
public static class DreamBenchPrompts
{
    // {0} is the identifier, {1} the class noun; the first ten and the last five are shared by both lists.
    static readonly string[] Shared =
    [
        "a {0} {1} in the jungle", "a {0} {1} in the snow", "a {0} {1} on the beach", "a {0} {1} on a cobblestone street",
        "a {0} {1} on top of pink fabric", "a {0} {1} on top of a wooden floor", "a {0} {1} with a city in the background",
        "a {0} {1} with a mountain in the background", "a {0} {1} with a blue house in the background",
        "a {0} {1} on top of a purple rug in a forest",
    ];

    static readonly string[] Colours = ["a red {0} {1}", "a purple {0} {1}", "a shiny {0} {1}", "a wet {0} {1}", "a cube shaped {0} {1}"];

    static readonly string[] ObjectOnly =
    [
        "a {0} {1} with a wheat field in the background", "a {0} {1} with a tree and autumn leaves in the background",
        "a {0} {1} with the Eiffel Tower in the background", "a {0} {1} floating on top of water",
        "a {0} {1} floating in an ocean of milk", "a {0} {1} on top of green grass with sunflowers around it",
        "a {0} {1} on top of a mirror", "a {0} {1} on top of the sidewalk in a crowded street",
        "a {0} {1} on top of a dirt road", "a {0} {1} on top of a white rug",
    ];

    static readonly string[] LiveOnly =
    [
        "a {0} {1} wearing a red hat", "a {0} {1} wearing a santa hat", "a {0} {1} wearing a rainbow scarf",
        "a {0} {1} wearing a black top hat and a monocle", "a {0} {1} in a chef outfit", "a {0} {1} in a firefighter outfit",
        "a {0} {1} in a police outfit", "a {0} {1} wearing pink glasses", "a {0} {1} wearing a yellow shirt",
        "a {0} {1} in a purple wizard outfit",
    ];

    /// <summary>DreamBench's 15 class nouns (dataset/prompts_and_classes.txt).</summary>
    public static IReadOnlyList<string> Classes { get; } =
        ["backpack", "boot", "bowl", "can", "candle", "cartoon", "cat", "clock", "dog", "glasses", "sneaker", "stuffed animal", "teapot", "toy", "vase"];

    /// <summary>
    /// Class nouns of live subjects. DreamBench's live subjects are dogs and cats; other animals and people get the same
    /// list because its outfit/hat prompts fit them and the object list's do not. Matched on the whole noun or its last
    /// word, case-insensitively, so "corgi dog" and "Tabby Cat" are live too. This is the one classification of the
    /// product: Training's prompt lists and Pipeline's subject validation both ask <see cref="IsLive"/>.
    /// </summary>
    public static IReadOnlySet<string> LiveClasses { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "dog", "puppy", "cat", "kitten", "animal", "pet", "bird", "parrot", "owl", "duck", "chicken", "horse", "pony",
        "cow", "pig", "sheep", "goat", "rabbit", "bunny", "hamster", "guinea pig", "mouse", "rat", "ferret", "fox",
        "wolf", "bear", "panda", "monkey", "lion", "tiger", "turtle", "tortoise", "lizard", "snake", "frog", "fish",
        "person", "man", "woman", "boy", "girl", "child", "kid", "baby",
    };

    /// <summary>Words that make a live noun an object ("teddy bear", "toy dog", DreamBench's "stuffed animal").</summary>
    public static IReadOnlySet<string> ObjectModifiers { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "toy", "stuffed", "plush", "plushie", "teddy", "robot", "figurine", "statue", "ceramic", "wooden", "cartoon",
    };

    /// <summary>Live when the noun (or its last word) is in <see cref="LiveClasses"/> and no word of it is in
    /// <see cref="ObjectModifiers"/>; an object otherwise.</summary>
    public static bool IsLive(string classNoun)
    {
        string noun = NormalizeNoun(classNoun);
        var words = noun.Split(' ');
        if (words.Any(ObjectModifiers.Contains)) return false;
        return LiveClasses.Contains(noun) || LiveClasses.Contains(words[^1]);
    }

    /// <summary>Trims the noun and collapses inner whitespace ("  corgi   dog " is "corgi dog").</summary>
    public static string NormalizeNoun(string classNoun)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(classNoun);
        return System.Text.RegularExpressions.Regex.Replace(classNoun.Trim(), @"\s+", " ");
    }

    /// <summary>The 25 prompts for a subject of class <paramref name="classNoun"/>, with <paramref name="identifier"/> in place.</summary>
    /// <param name="live">Overrides the list the noun would choose (null: <see cref="IsLive"/> decides).</param>
    public static IReadOnlyList<string> For(string classNoun, string identifier = "[V]", bool? live = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(identifier);
        string noun = NormalizeNoun(classNoun);
        var middle = (live ?? IsLive(noun)) ? LiveOnly : ObjectOnly;
        return Shared.Concat(middle).Concat(Colours).Select(p => string.Format(System.Globalization.CultureInfo.InvariantCulture, p, identifier, noun)).ToList();
    }
}
