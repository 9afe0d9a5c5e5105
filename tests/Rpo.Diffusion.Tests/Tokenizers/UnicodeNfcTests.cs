using System.Security.Cryptography;
using System.Text;
using Rpo.Diffusion.Tokenizers;

namespace Rpo.Diffusion.Tests.Tokenizers;

public class UnicodeNfcTests
{
    // Expected values from Python 3.11's unicodedata.normalize("NFC", ...), the reference tokenizer's.
    [Theory]
    [InlineData("cafe\u0301", "caf\u00E9")]
    [InlineData("a\u0328\u0301", "\u0105\u0301")]
    [InlineData("a\u0301\u0328", "\u0105\u0301")]
    [InlineData("\u1100\u1161\u11A8", "\uAC01")]
    [InlineData("\uAC00\u11A8", "\uAC01")]
    [InlineData("\u0344", "\u0308\u0301")]
    [InlineData("\u212B", "\u00C5")]
    [InlineData("\u1E0B\u0323", "\u1E0D\u0307")]
    [InlineData("q\u0307\u0323", "q\u0323\u0307")]
    [InlineData("A\u030A", "\u00C5")]
    [InlineData("e\u0302\u0323", "\u1EC7")]
    [InlineData("\u0915\u093C", "\u0915\u093C")]
    [InlineData("\uFB2C", "\u05E9\u05BC\u05C1")]
    [InlineData("\U000110A5\U000110BA", "\U000110AB")]
    [InlineData("\u0308a\u0301", "\u0308\u00E1")]
    [InlineData("o\u0308\u0304\u0301", "\u022B\u0301")]
    [InlineData("\u1100\u1161\u0301\u11A8", "\uAC00\u0301\u11A8")]
    [InlineData("\u00E9\u0301", "\u00E9\u0301")]
    [InlineData("\u0C46\u0C56", "\u0C48")]
    [InlineData("\u0B47\u0B3E", "\u0B4B")]
    public void Normalizes_like_python(string input, string expected) => Assert.Equal(expected, UnicodeNfc.Normalize(input));

    [Fact]
    public void Every_decomposable_character_normalizes_like_python()
    {
        // For each code point with a canonical decomposition (and every 37th Hangul syllable): NFC of the character,
        // of the character followed by U+0301 U+0323, and of its NFD reversed, joined by newlines; the digest is of
        // Python 3.11's results for the same strings.
        var outputs = new List<string>();
        for (int cp = 0; cp < 0x110000; cp++)
        {
            if (cp is >= 0xD800 and <= 0xDFFF) continue;
            string c = char.ConvertFromUtf32(cp);
            bool selected = cp is >= 0xAC00 and < 0xD7A4 ? cp % 37 == 0 : UnicodeNfc.NormalizeD(c) != c;
            if (!selected) continue;
            outputs.Add(UnicodeNfc.Normalize(c));
            outputs.Add(UnicodeNfc.Normalize(c + "\u0301\u0323"));
            outputs.Add(UnicodeNfc.Normalize(string.Concat(UnicodeNfc.NormalizeD(c).EnumerateRunes().Reverse().Select(r => r.ToString()))));
        }
        Assert.Equal(7086, outputs.Count);
        string digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', outputs))));
        Assert.Equal("5dc7040697477986b8912120ad4f14baffdd8c665bce0e83f380101e3ec16e53", digest);
    }
}
