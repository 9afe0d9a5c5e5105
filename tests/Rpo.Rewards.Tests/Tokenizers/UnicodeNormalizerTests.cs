using Rpo.Rewards.Tokenizers;

namespace Rpo.Rewards.Tests.Tokenizers;

public class UnicodeNormalizerTests
{
    // Expected values from Python 3.11's unicodedata.normalize (Unicode 14.0.0).
    [Theory]
    [InlineData("e\u0301", "\u00e9", "e\u0301")]
    [InlineData("\u1e0b\u0323", "\u1e0d\u0307", "d\u0323\u0307")]
    [InlineData("q\u0307\u0323", "q\u0323\u0307", "q\u0323\u0307")]
    [InlineData("\uac00\u11a8", "\uac01", "\u1100\u1161\u11a8")]
    [InlineData("\u1100\u1161\u11a8", "\uac01", "\u1100\u1161\u11a8")]
    [InlineData("A\u030a\u212b", "\u00c5\u00c5", "A\u030aA\u030a")]
    [InlineData("\u00c5\u0327", "\u00c5\u0327", "A\u0327\u030a")]
    [InlineData("\u0344", "\u0308\u0301", "\u0308\u0301")]
    [InlineData("\ufb01", "\ufb01", "\ufb01")]
    [InlineData("\u0958", "\u0915\u093c", "\u0915\u093c")]
    [InlineData("\u2126", "\u03a9", "\u03a9")]
    [InlineData("\u1e9b\u0323", "\u1e9b\u0323", "\u017f\u0323\u0307")]
    [InlineData("\u0323\u0301a", "\u0323\u0301a", "\u0323\u0301a")]
    [InlineData("plain ascii", "plain ascii", "plain ascii")]
    public void Matches_python_unicodedata(string input, string nfc, string nfd)
    {
        Assert.Equal(nfc, UnicodeNormalizer.Nfc(input));
        Assert.Equal(nfd, UnicodeNormalizer.Nfd(input));
    }
}
