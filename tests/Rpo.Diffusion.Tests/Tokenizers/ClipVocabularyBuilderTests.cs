using Rpo.Diffusion.Tokenizers;

namespace Rpo.Diffusion.Tests.Tokenizers;

public sealed class ClipVocabularyBuilderTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("rpo-vocab-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static readonly string[] Corpus =
    [
        "a photo of sks dog", "a sks dog on the beach", "a dog in the snow", "a photo of a backpack",
        "a red backpack on the grass", "a dog wearing a hat", "a dog in a bucket",
    ];

    [Fact]
    public void Builds_a_CLIP_layout_that_the_tokenizer_reads_back()
    {
        var vocabulary = ClipVocabularyBuilder.Build(Corpus, vocabSize: 560);
        ClipVocabularyBuilder.Save(vocabulary, _dir);
        var tokenizer = ClipTokenizer.FromPretrained(_dir);

        Assert.Equal(vocabulary.Vocab.Count, tokenizer.VocabSize);
        // Special tokens are the last two ids, as in CLIP's own vocabulary.
        Assert.Equal(vocabulary.Vocab.Count - 2, tokenizer.BosTokenId);
        Assert.Equal(vocabulary.Vocab.Count - 1, tokenizer.EosTokenId);
        Assert.Equal(tokenizer.EosTokenId, tokenizer.PadTokenId);
        // The most frequent words became single tokens; a word never seen still tokenizes (down to bytes).
        Assert.Equal(["a</w>", "dog</w>"], tokenizer.Tokenize("A  DOG"));
        Assert.Equal("zebra", string.Concat(tokenizer.Tokenize("zebra")).Replace("</w>", ""));
        var ids = tokenizer.Encode("a photo of sks dog");
        Assert.Equal(tokenizer.BosTokenId, ids[0]);
        Assert.Equal(tokenizer.EosTokenId, ids[^1]);
        Assert.Equal("a photo of sks dog", tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void Is_deterministic_and_orders_bytes_as_bytes_to_unicode()
    {
        var first = ClipVocabularyBuilder.Build(Corpus, 540);
        var second = ClipVocabularyBuilder.Build(Corpus.Reverse(), 540);
        Assert.Equal(first.Merges, second.Merges);
        Assert.Equal(0, first.Vocab["!"]);           // bytes_to_unicode starts at '!'
        Assert.Equal(256, first.Vocab["!</w>"]);
        Assert.InRange(first.Vocab.Count, 514 + 1, 540); // stops early once no pair repeats
    }
}
