using System.Globalization;
using System.Text;

namespace Rpo.Diffusion.Tokenizers;

/// <summary>
/// The text clean-up of the slow transformers <c>CLIPTokenizer</c> when ftfy is not installed (the reference):
/// <c>" ".join(BasicTokenizer(do_lower_case=True, strip_accents=False, do_split_on_punc=False).tokenize(text))</c>.
/// Control characters, NUL and U+FFFD are dropped, other whitespace becomes a space, CJK ideographs are set apart by
/// spaces, the text is NFC-normalised, split on whitespace, each word lower-cased, and the words joined by one space.
/// Accents are kept and punctuation is not split here (the CLIP pattern does that later).
/// </summary>
public static class ClipTextCleaner
{
    public static string Clean(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var cleaned = new StringBuilder(text.Length + 8);
        // Invalid UTF-16 (a lone surrogate) enumerates as U+FFFD, which the reference drops as well.
        foreach (var rune in text.EnumerateRunes())
        {
            int cp = rune.Value;
            if (cp == 0 || cp == 0xFFFD || IsControl(rune)) continue;
            if (IsWhitespace(rune)) cleaned.Append(' ');
            else if (IsCjkIdeograph(cp)) cleaned.Append(' ').Append(rune.ToString()).Append(' ');
            else cleaned.Append(rune.ToString());
        }
        // Not string.Normalize: under InvariantGlobalization it leaves non-ASCII text unnormalised.
        string normalized = UnicodeNfc.Normalize(cleaned.ToString());
        return string.Join(' ', SplitOnPythonWhitespace(normalized).Select(PythonLower));
    }

    // transformers' _is_whitespace: the four ASCII blanks or Unicode category Zs.
    static bool IsWhitespace(Rune r) =>
        r.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(r) == UnicodeCategory.SpaceSeparator;

    // transformers' _is_control: any category C* except tab, newline and carriage return (which count as whitespace).
    // Unassigned (Cn) is judged by the reference's Unicode 14: characters assigned since are dropped there.
    static bool IsControl(Rune r)
    {
        if (r.Value is '\t' or '\n' or '\r') return false;
        return Rune.GetUnicodeCategory(r) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
            or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned
            || IsUnassignedInReference(r.Value);
    }

    /// <summary>Whether Unicode 14, the version of the reference's Python, had not assigned the code point yet.</summary>
    public static bool IsUnassignedInReference(int cp)
    {
        var ranges = ReferenceUnicodeData.UnassignedRanges;
        int lo = 0, hi = ranges.Length / 2 - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) / 2;
            if (cp < ranges[2 * mid]) hi = mid - 1;
            else if (cp > ranges[2 * mid + 1]) lo = mid + 1;
            else return true;
        }
        return false;
    }

    // BasicTokenizer._is_chinese_char: the CJK Unified Ideographs blocks (not Hangul, Hiragana or Katakana).
    static bool IsCjkIdeograph(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;

    /// <summary>Python's <c>str.isspace</c>, which <c>str.split()</c> splits on.</summary>
    public static bool IsPythonSpace(Rune r) =>
        r.Value is >= 0x09 and <= 0x0D or >= 0x1C and <= 0x20 or 0x85 or 0xA0 or 0x1680 or >= 0x2000 and <= 0x200A
            or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000;

    static List<string> SplitOnPythonWhitespace(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        foreach (var rune in text.EnumerateRunes())
        {
            if (IsPythonSpace(rune))
            {
                if (word.Length > 0) { words.Add(word.ToString()); word.Clear(); }
            }
            else word.Append(rune.ToString());
        }
        if (word.Length > 0) words.Add(word.ToString());
        return words;
    }

    /// <summary>
    /// Python's <c>str.lower()</c>: the simple lower-case mapping, plus the two rules of Unicode's full mapping that
    /// Python applies and .NET does not: U+0130 becomes "i" + U+0307, and a capital sigma ending a word becomes "ς".
    /// </summary>
    public static string PythonLower(string word)
    {
        var runes = word.EnumerateRunes().ToArray();
        var lower = new StringBuilder(word.Length);
        for (int i = 0; i < runes.Length; i++)
        {
            var r = runes[i];
            if (r.Value == 0x0130) lower.Append("i\u0307");
            else if (r.Value == 0x03A3) lower.Append(IsFinalSigma(runes, i) ? 'ς' : 'σ');
            else lower.Append(Rune.ToLowerInvariant(r).ToString());
        }
        return lower.ToString();
    }

    // Unicode's Final_Sigma condition as CPython tests it: a cased letter before (skipping case-ignorable
    // characters) and none after.
    static bool IsFinalSigma(Rune[] runes, int at)
    {
        int j = at - 1;
        while (j >= 0 && IsCaseIgnorable(runes[j])) j--;
        if (j < 0 || !IsCased(runes[j])) return false;
        j = at + 1;
        while (j < runes.Length && IsCaseIgnorable(runes[j])) j++;
        return j == runes.Length || !IsCased(runes[j]);
    }

    static bool IsCased(Rune r) =>
        Rune.GetUnicodeCategory(r) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter;

    static bool IsCaseIgnorable(Rune r) =>
        Rune.GetUnicodeCategory(r) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format
            or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol
        // Word_Break MidLetter / MidNumLet / Single_Quote.
        || r.Value is '\'' or '.' or ':' or 0xB7 or 0x0387 or 0x05F4 or 0x2018 or 0x2019 or 0x2024 or 0x2027 or 0xFE13 or 0xFE52
            or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;
}
