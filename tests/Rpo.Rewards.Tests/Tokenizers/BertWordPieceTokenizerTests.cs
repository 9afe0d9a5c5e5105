using Rpo.Diffusion.Parity;
using Rpo.Rewards.Tokenizers;
using Rpo.Tests.Shared;

namespace Rpo.Rewards.Tests.Tokenizers;

public class BertWordPieceTokenizerTests
{
    static readonly string Folder = TestPaths.Fixture("reward-align-tiny");

    [Fact]
    public void Reproduces_the_align_processor_ids_of_reward_align_tiny()
    {
        using var fixture = FixtureCase.Load(Folder);
        var prompts = fixture.Json.GetProperty("text_prompts").EnumerateArray().Select(p => p.GetString()!).ToList();
        var tokenizer = BertWordPieceTokenizer.FromFolder(Folder);
        Assert.Equal(64, tokenizer.ModelMaxLength);

        var encoding = tokenizer.EncodeBatch(prompts);
        var (ids, mask, types) = encoding.ToTensors();
        Parity.AssertClose(fixture, "input_ids", ids);
        Parity.AssertClose(fixture, "attention_mask", mask);
        Parity.AssertClose(fixture, "token_type_ids", types);

        // The raw prompts (with a double space) tokenize identically.
        var raw = fixture.Json.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()!).ToList();
        var (rawIds, _, _) = tokenizer.EncodeBatch(raw).ToTensors();
        Parity.AssertClose(fixture, "input_ids", rawIds);
    }

    [Fact]
    public void Lower_cases_strips_accents_and_splits_punctuation()
    {
        var tokenizer = BertWordPieceTokenizer.FromFolder(Folder);
        Assert.Equal(["a", "[", "v", "]", "back", "##pack", ",", "green", "!"], tokenizer.Tokenize("A [V] BACKPACK,\tgreen!"));
        // é -> e after NFD and dropping the combining mark; ø has no decomposition and no piece, so the word is [UNK].
        Assert.Equal(["the", "c", "##a", "##f", "##e", "rendition", "[UNK]"], tokenizer.Tokenize("The  café Rendition søren"));
        Assert.Equal(["green"], tokenizer.Tokenize("GRÉÉN"));
        // Control characters vanish; CJK ideographs become words of their own (unknown here).
        Assert.Equal(["moon", "[UNK]", "dog"], tokenizer.Tokenize("moon\u0000\u200b 月dog"));
    }

    // Expected tokens from the reference algorithm (BasicTokenizer + WordpieceTokenizer of transformers 4.36) run
    // with Python 3.11 on this vocabulary: full-width forms, NBSP/em/ideographic spaces, ß and ligatures (no
    // compatibility folding), Hangul and kana, dotted capital I, stacked combining marks, unicode punctuation,
    // zero-width joiner (a format character, removed), CR LF.
    [Theory]
    [InlineData("\uff27\uff52\uff45\uff45\uff4e \uff44\uff4f\uff47", new[] { "[UNK]", "[UNK]" })]
    [InlineData("\u00c5NGSTR\u00d6M fa\u00e7ade \u00dcber-cool na\u00efve", new[] { "an", "##g", "##s", "##t", "##r", "##o", "##m", "f", "##a", "##c", "##a", "##d", "##e", "u", "##b", "##er", "-", "c", "##o", "##o", "##l", "n", "##a", "##i", "##v", "##e" })]
    [InlineData("a\u00a0dog\u2003on\u3000the moon", new[] { "a", "dog", "on", "the", "moon" })]
    [InlineData("Stra\u00dfe \u01c5emal \ufb01re", new[] { "[UNK]", "[UNK]", "[UNK]" })]
    [InlineData("\ud55c\uad6d\uc5b4 \u30c6\u30b9\u30c8", new[] { "[UNK]", "[UNK]" })]
    [InlineData("\u0130stanbul \u03a3\u039f\u03a6\u0399\u0391\u03a3", new[] { "is", "##t", "##a", "##n", "##b", "##u", "##l", "[UNK]" })]
    [InlineData("e\u0301\u0323 x\u0323\u0301", new[] { "e", "x" })]
    [InlineData("dog\u2026cat\u2014moon \u00abroof\u00bb \u201cwall\u201d", new[] { "dog", "[UNK]", "cat", "[UNK]", "moon", "[UNK]", "roof", "[UNK]", "[UNK]", "wall", "[UNK]" })]
    [InlineData("caf\u00e9\u200dbeach\tpool\r\nriver", new[] { "c", "##a", "##f", "##e", "##b", "##e", "##a", "##c", "##h", "pool", "river" })]
    public void Matches_the_reference_on_unicode_text(string text, string[] expected)
    {
        var tokenizer = BertWordPieceTokenizer.FromFolder(Folder);
        Assert.Equal(expected, tokenizer.Tokenize(text));
    }

    [Theory]
    // Per character, as re.sub(r"(...)|(.+?)", ... .lower()) does: no final-sigma context.
    [InlineData("\u03a3\u039f\u03a6\u0399\u0391\u03a3", "\u03c3\u03bf\u03c6\u03b9\u03b1\u03c3")]
    [InlineData("\u0391\u03a3.", "\u03b1\u03c3.")]
    [InlineData("\u0130X", "i\u0307x")]
    [InlineData("\u01c5EMAL", "\u01c6emal")]
    public void Lower_cases_like_python(string text, string expected)
        => Assert.Equal(expected, BertWordPieceTokenizer.PythonLower(text));

    [Fact]
    public void Special_tokens_in_the_text_are_kept_whole()
    {
        var tokenizer = BertWordPieceTokenizer.FromFolder(Folder);
        Assert.Equal(["a", "[MASK]", "dog"], tokenizer.Tokenize("a [MASK] dog"));
        var ids = tokenizer.Encode("a [MASK]dog");
        Assert.Equal([101, 146, 103, 249, 102], ids);
    }

    [Fact]
    public void Pads_to_max_length_and_never_truncates()
    {
        var tokenizer = BertWordPieceTokenizer.FromFolder(Folder);
        var longText = string.Join(' ', Enumerable.Repeat("dog", 70));
        var encoding = tokenizer.EncodeBatch(["a dog", longText], maxLength: 64);
        Assert.Equal(72, encoding.Length);
        Assert.Equal(0, encoding.InputIds[0, 4]);
        Assert.Equal(0, encoding.AttentionMask[0, 4]);
        Assert.Equal(1, encoding.AttentionMask[1, 71]);
        Assert.Equal(tokenizer.SepId, encoding.InputIds[1, 71]);
        Assert.Equal(64, tokenizer.EncodeBatch(["a dog"]).Length);
    }
}
