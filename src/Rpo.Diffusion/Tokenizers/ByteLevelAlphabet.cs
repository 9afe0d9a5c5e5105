namespace Rpo.Diffusion.Tokenizers;

/// <summary>
/// GPT-2's <c>bytes_to_unicode</c>: a reversible map from each of the 256 byte values to one printable character, so
/// that BPE symbols never contain whitespace or control characters. The printable Latin-1 bytes
/// (<c>!</c>..<c>~</c>, <c>¡</c>..<c>¬</c>, <c>®</c>..<c>ÿ</c>) map to themselves; the other 68 take U+0100 onwards
/// in byte order.
/// </summary>
public static class ByteLevelAlphabet
{
    static readonly char[] ByteToChar = Build();
    static readonly Dictionary<char, byte> CharToByte = Enumerable.Range(0, 256).ToDictionary(b => ByteToChar[b], b => (byte)b);

    static char[] Build()
    {
        var map = new char[256];
        var assigned = new bool[256];
        foreach (var (first, last) in new[] { ('!', '~'), ('¡', '¬'), ('®', 'ÿ') })
            for (int b = first; b <= last; b++) { map[b] = (char)b; assigned[b] = true; }
        int next = 0;
        for (int b = 0; b < 256; b++)
            if (!assigned[b]) map[b] = (char)(256 + next++);
        return map;
    }

    public static char Encode(byte b) => ByteToChar[b];

    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>The bytes a string of byte symbols stands for; false when a character is not one of the 256.</summary>
    public static bool TryDecode(string symbols, out byte[] bytes)
    {
        bytes = new byte[symbols.Length];
        for (int i = 0; i < symbols.Length; i++)
        {
            if (!CharToByte.TryGetValue(symbols[i], out var b)) return false;
            bytes[i] = b;
        }
        return true;
    }
}
