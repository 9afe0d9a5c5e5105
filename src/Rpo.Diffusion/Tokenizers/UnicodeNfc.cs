using System.Text;

namespace Rpo.Diffusion.Tokenizers;

/// <summary>
/// Unicode Normalization Form C (UAX #15: canonical decomposition, canonical ordering, canonical composition) from the
/// tables in <see cref="ReferenceUnicodeData"/>. The products run with InvariantGlobalization, where
/// <c>string.Normalize</c> does not normalise non-ASCII text; the tables are Python 3.11's, the reference's.
/// </summary>
public static class UnicodeNfc
{
    const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7, LCount = 19, VCount = 21, TCount = 28;
    const int NCount = VCount * TCount, SCount = LCount * NCount;

    static readonly Dictionary<int, int> CombiningClasses = BuildClasses();
    static readonly Dictionary<int, (int First, int Second)> Decomposition = new();
    static readonly Dictionary<(int, int), int> Composition = new();

    static UnicodeNfc()
    {
        var d = ReferenceUnicodeData.Decompositions;
        for (int i = 0; i < d.Length; i += 4)
        {
            Decomposition[d[i]] = (d[i + 1], d[i + 2]);
            if (d[i + 3] == 1) Composition[(d[i + 1], d[i + 2])] = d[i];
        }
    }

    static Dictionary<int, int> BuildClasses()
    {
        var classes = new Dictionary<int, int>();
        var r = ReferenceUnicodeData.CombiningClassRanges;
        for (int i = 0; i < r.Length; i += 3)
            for (int cp = r[i]; cp <= r[i + 1]; cp++) classes[cp] = r[i + 2];
        return classes;
    }

    public static int CombiningClass(int cp) => CombiningClasses.TryGetValue(cp, out int c) ? c : 0;

    public static string Normalize(string text)
    {
        // Below U+0300 there are no combining marks and every character is its own NFC form.
        bool simple = true;
        foreach (char c in text) if (c >= 0x300) { simple = false; break; }
        if (simple) return text;

        var points = CanonicalDecomposition(text);
        Compose(points);
        return ToText(points);
    }

    /// <summary>Normalization Form D: canonical decomposition in canonical order.</summary>
    public static string NormalizeD(string text) => ToText(CanonicalDecomposition(text));

    static List<int> CanonicalDecomposition(string text)
    {
        var points = new List<int>(text.Length);
        foreach (var rune in text.EnumerateRunes()) Decompose(rune.Value, points);
        Reorder(points);
        return points;
    }

    static string ToText(List<int> points)
    {
        var result = new StringBuilder(points.Count);
        foreach (int cp in points) result.Append(char.ConvertFromUtf32(cp));
        return result.ToString();
    }

    static void Decompose(int cp, List<int> output)
    {
        if (cp is >= SBase and < SBase + SCount)
        {
            int s = cp - SBase;
            output.Add(LBase + s / NCount);
            output.Add(VBase + s % NCount / TCount);
            if (s % TCount != 0) output.Add(TBase + s % TCount);
            return;
        }
        if (Decomposition.TryGetValue(cp, out var parts))
        {
            Decompose(parts.First, output);
            if (parts.Second != 0) Decompose(parts.Second, output);
            return;
        }
        output.Add(cp);
    }

    // Canonical ordering: a stable sort of each run of non-starters by combining class.
    static void Reorder(List<int> points)
    {
        for (int i = 1; i < points.Count; i++)
        {
            int cc = CombiningClass(points[i]);
            if (cc == 0) continue;
            int j = i;
            while (j > 0 && CombiningClass(points[j - 1]) > cc)
            {
                (points[j - 1], points[j]) = (points[j], points[j - 1]);
                j--;
            }
        }
    }

    // Canonical composition: each character that is not blocked from the last starter and forms a primary composite
    // with it is merged into it. Non-starters after reordering are in ascending class order, so only the last
    // character kept since the starter can block.
    static void Compose(List<int> points)
    {
        var output = new List<int>(points.Count);
        int starter = -1, lastClass = -1;
        foreach (int cp in points)
        {
            int cc = CombiningClass(cp);
            if (starter >= 0 && !(lastClass != -1 && (lastClass == 0 || lastClass >= cc)) && TryCompose(output[starter], cp, out int composite))
            {
                output[starter] = composite;
                continue;
            }
            if (cc == 0) { starter = output.Count; lastClass = -1; }
            else lastClass = cc;
            output.Add(cp);
        }
        points.Clear();
        points.AddRange(output);
    }

    static bool TryCompose(int first, int second, out int composite)
    {
        if (first is >= LBase and < LBase + LCount && second is >= VBase and < VBase + VCount)
        {
            composite = SBase + ((first - LBase) * VCount + (second - VBase)) * TCount;
            return true;
        }
        if (first is >= SBase and < SBase + SCount && (first - SBase) % TCount == 0 && second is > TBase and < TBase + TCount)
        {
            composite = first + (second - TBase);
            return true;
        }
        return Composition.TryGetValue((first, second), out composite);
    }
}
