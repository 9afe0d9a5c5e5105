using System.Text.RegularExpressions;

namespace Rpo.Rewards;

/// <summary>
/// The text a prompt is scored against. The paper scores against the prompt without the subject identifier
/// (<c>p'</c>); RPO's code means to remove it with <c>remove_unique_token</c>, whose <c>\b</c>-anchored pattern never
/// matches around <c>[V]</c> (brackets are not word characters), so the published figures were computed with the
/// identifier left in. Default: strip it, as the paper says; <see cref="PaperCompat"/>: RPO's function verbatim, for
/// figures comparable with the published table.
/// </summary>
public sealed record PromptText(string Identifier = "[V]", bool PaperCompat = false)
{
    static readonly Regex Whitespace = new(@"\s+", RegexOptions.CultureInvariant);

    public static PromptText Default { get; } = new();

    /// <summary>The text the encoder sees for <paramref name="prompt"/>.</summary>
    public string Clean(string prompt) =>
        PaperCompat ? RemoveUniqueToken(prompt, Identifier) : StripIdentifier(prompt, Identifier);

    /// <summary>
    /// RPO's <c>utils.remove_unique_token</c>: <c>re.sub(r'\s*\b' + re.escape(token) + r'\b\s*', ' ', text)</c>, then
    /// whitespace runs to one space and the ends stripped. For <c>[V]</c> between spaces nothing matches, so only the
    /// whitespace is tidied.
    /// </summary>
    public static string RemoveUniqueToken(string text, string token)
    {
        ArgumentNullException.ThrowIfNull(text);
        var pattern = @"\s*\b" + Regex.Escape(token) + @"\b\s*";
        var replaced = Regex.Replace(text, pattern, " ", RegexOptions.CultureInvariant);
        return Whitespace.Replace(replaced, " ").Trim();
    }

    /// <summary>Every occurrence of <paramref name="token"/> removed (with the space it leaves), whitespace runs to
    /// one space, ends stripped: "a [V] dog on the beach" -> "a dog on the beach".</summary>
    public static string StripIdentifier(string text, string token)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentException.ThrowIfNullOrEmpty(token);
        return Whitespace.Replace(text.Replace(token, " ", StringComparison.Ordinal), " ").Trim();
    }
}
