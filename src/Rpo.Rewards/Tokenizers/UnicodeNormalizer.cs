using System.Globalization;
using System.Text;

namespace Rpo.Rewards.Tokenizers;

/// <summary>
/// Unicode canonical normalisation (NFD, NFC) from <see cref="UnicodeNormalizationData"/>, because
/// <see cref="string.Normalize()"/> silently returns its input under InvariantGlobalization, which would break
/// BertTokenizer's accent stripping ("café" must become "cafe"). Implements UAX #15: full canonical decomposition
/// (Hangul algorithmically), canonical ordering of combining marks, canonical composition.
/// </summary>
public static class UnicodeNormalizer
{
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    private static readonly Lazy<Dictionary<int, int[]>> Decompositions = new(() =>
        Parse(UnicodeNormalizationData.Decompositions, (k, v) => (Hex(k), v.Split(',').Select(Hex).ToArray())));

    private static readonly Lazy<Dictionary<int, int>> Classes = new(() =>
        Parse(UnicodeNormalizationData.CombiningClasses, (k, v) => (Hex(k), int.Parse(v, CultureInfo.InvariantCulture))));

    private static readonly Lazy<Dictionary<long, int>> Compositions = new(() =>
        Parse(UnicodeNormalizationData.Compositions, (k, v) =>
        {
            var pair = k.Split(',');
            return (Key(Hex(pair[0]), Hex(pair[1])), Hex(v));
        }));

    /// <summary>Canonical decomposition (NFD).</summary>
    public static string Nfd(string text)
    {
        if (IsAscii(text))
            return text;
        return ToText(Decompose(text));
    }

    /// <summary>Canonical decomposition followed by canonical composition (NFC).</summary>
    public static string Nfc(string text)
    {
        if (IsAscii(text))
            return text;
        var cps = Decompose(text);
        Compose(cps);
        return ToText(cps);
    }

    /// <summary>The canonical combining class of a code point (0 for starters).</summary>
    public static int CombiningClass(int codePoint) => Classes.Value.TryGetValue(codePoint, out var c) ? c : 0;

    private static List<int> Decompose(string text)
    {
        var output = new List<int>(text.Length + 8);
        var decompositions = Decompositions.Value;
        foreach (var rune in text.EnumerateRunes())
        {
            var cp = rune.Value;
            var s = cp - SBase;
            if (s is >= 0 and < SCount)
            {
                output.Add(LBase + s / NCount);
                output.Add(VBase + s % NCount / TCount);
                if (s % TCount != 0)
                    output.Add(TBase + s % TCount);
            }
            else if (decompositions.TryGetValue(cp, out var parts))
            {
                output.AddRange(parts);
            }
            else
            {
                output.Add(cp);
            }
        }
        // Canonical ordering: a stable sort of each run of non-starters by combining class.
        for (var i = 1; i < output.Count; i++)
        {
            var cc = CombiningClass(output[i]);
            if (cc == 0)
                continue;
            var j = i;
            while (j > 0 && CombiningClass(output[j - 1]) > cc)
            {
                (output[j - 1], output[j]) = (output[j], output[j - 1]);
                j--;
            }
        }
        return output;
    }

    private static void Compose(List<int> cps)
    {
        if (cps.Count == 0)
            return;
        var starterPos = 0;
        var starter = cps[0];
        // A leading non-starter blocks everything after it from composing with nothing.
        var lastClass = CombiningClass(starter) == 0 ? 0 : 256;
        var write = 1;
        for (var read = 1; read < cps.Count; read++)
        {
            var ch = cps[read];
            var chClass = CombiningClass(ch);
            if ((lastClass < chClass || lastClass == 0) && TryCompose(starter, ch, out var composite))
            {
                cps[starterPos] = composite;
                starter = composite;
                continue;
            }
            if (chClass == 0)
            {
                starterPos = write;
                starter = ch;
            }
            lastClass = chClass;
            cps[write++] = ch;
        }
        cps.RemoveRange(write, cps.Count - write);
    }

    private static bool TryCompose(int first, int second, out int composite)
    {
        var l = first - LBase;
        if (l is >= 0 and < LCount)
        {
            var v = second - VBase;
            if (v is >= 0 and < VCount)
            {
                composite = SBase + (l * VCount + v) * TCount;
                return true;
            }
        }
        var s = first - SBase;
        if (s is >= 0 and < SCount && s % TCount == 0)
        {
            var t = second - TBase;
            if (t is > 0 and < TCount)
            {
                composite = first + t;
                return true;
            }
        }
        return Compositions.Value.TryGetValue(Key(first, second), out composite);
    }

    private static bool IsAscii(string text)
    {
        foreach (var c in text)
            if (c > 0x7F)
                return false;
        return true;
    }

    private static string ToText(List<int> cps)
    {
        var sb = new StringBuilder(cps.Count);
        foreach (var cp in cps)
            sb.Append(char.ConvertFromUtf32(cp));
        return sb.ToString();
    }

    private static long Key(int a, int b) => ((long)a << 21) | (uint)b;

    private static int Hex(string s) => int.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private static Dictionary<TKey, TValue> Parse<TKey, TValue>(string data, Func<string, string, (TKey, TValue)> entry)
        where TKey : notnull
    {
        var map = new Dictionary<TKey, TValue>();
        foreach (var item in data.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = item.IndexOf('=', StringComparison.Ordinal);
            var (k, v) = entry(item[..eq], item[(eq + 1)..]);
            map[k] = v;
        }
        return map;
    }
}
