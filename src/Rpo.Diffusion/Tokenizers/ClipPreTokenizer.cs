using System.Globalization;
using System.Text;

namespace Rpo.Diffusion.Tokenizers;

/// <summary>
/// <c>re.findall</c> of the CLIP pattern
/// <c>&lt;\|startoftext\|&gt;|&lt;\|endoftext\|&gt;|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</c>
/// (case-insensitive), written as a scanner over code points: .NET's Regex classifies UTF-16 units, so a letter
/// outside the BMP would fall into the punctuation class there while Python's <c>regex</c> sees a letter.
/// </summary>
public static class ClipPreTokenizer
{
    static readonly string[] Specials = ["<|startoftext|>", "<|endoftext|>"];
    static readonly string[] Contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"];

    public static List<string> Split(string text)
    {
        var runes = text.EnumerateRunes().ToArray();
        var pieces = new List<string>();
        int i = 0;
        while (i < runes.Length)
        {
            var r = runes[i];
            if (IsWhitespace(r)) { i++; continue; }
            int end = MatchLiteral(runes, i, Specials);
            if (end < 0) end = MatchLiteral(runes, i, Contractions);
            if (end < 0)
            {
                end = i + 1;
                if (IsLetter(r))
                    while (end < runes.Length && IsLetter(runes[end])) end++;
                else if (!IsNumber(r))
                    while (end < runes.Length && !IsLetter(runes[end]) && !IsNumber(runes[end]) && !IsWhitespace(runes[end])) end++;
            }
            var piece = new StringBuilder();
            for (int k = i; k < end; k++) piece.Append(runes[k].ToString());
            pieces.Add(piece.ToString());
            i = end;
        }
        return pieces;
    }

    // The first alternative that matches at `start`, in the pattern's order (regex alternation is ordered, not longest).
    static int MatchLiteral(Rune[] runes, int start, string[] literals)
    {
        foreach (var literal in literals)
        {
            if (start + literal.Length > runes.Length) continue;
            bool match = true;
            for (int k = 0; k < literal.Length && match; k++)
                match = Rune.ToLowerInvariant(runes[start + k]).Value == literal[k];
            if (match) return start + literal.Length;
        }
        return -1;
    }

    static bool IsLetter(Rune r) => Rune.GetUnicodeCategory(r) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
        or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter;

    static bool IsNumber(Rune r) => Rune.GetUnicodeCategory(r) is UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber
        or UnicodeCategory.OtherNumber;

    // `\s` of Python's regex module on str patterns: the Unicode White_Space property.
    static bool IsWhitespace(Rune r) =>
        r.Value is >= 0x09 and <= 0x0D or 0x20 or 0x85 or 0xA0 or 0x1680 or >= 0x2000 and <= 0x200A or 0x2028 or 0x2029 or 0x202F
            or 0x205F or 0x3000;
}
