using System.Text.Json;
using Rpo.Diffusion.Parity;
using Rpo.Diffusion.Tokenizers;
using Rpo.Tests.Shared;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Tests.Tokenizers;

public class ClipTokenizerTests
{
    static readonly string PipelineTokenizer = TestPaths.Fixture("sd-pipeline-tiny", "tokenizer");

    sealed record TokenizerCase(string Prompt, string[] BpeTokens, long[] InputIdsUnpadded, long[] InputIds, long[] AttentionMask);

    static List<TokenizerCase> Cases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("sd-pipeline-tiny", "tokenizer_cases.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => new TokenizerCase(
            c.GetProperty("prompt").GetString()!,
            c.GetProperty("bpe_tokens").EnumerateArray().Select(t => t.GetString()!).ToArray(),
            c.GetProperty("input_ids_unpadded").EnumerateArray().Select(t => t.GetInt64()).ToArray(),
            c.GetProperty("input_ids").EnumerateArray().Select(t => t.GetInt64()).ToArray(),
            c.GetProperty("attention_mask").EnumerateArray().Select(t => t.GetInt64()).ToArray())).ToList();
    }

    public static TheoryData<int> CaseIndices() => new(Enumerable.Range(0, Cases().Count));

    static void AssertIds(Tensor expected, Tensor got)
    {
        Assert.Equal(expected.shape, got.shape);
        Assert.Equal(expected.data<long>().ToArray(), got.data<long>().ToArray());
    }

    [Fact]
    public void Reads_special_tokens_and_max_length_from_the_folder()
    {
        var tok = ClipTokenizer.FromPretrained(PipelineTokenizer);
        Assert.Equal((998, 999, 999, 999), (tok.BosTokenId, tok.EosTokenId, tok.PadTokenId, tok.UnkTokenId));
        Assert.Equal(77, tok.ModelMaxLength);
        Assert.Equal(1000, tok.VocabSize);
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void Fixture_case_tokens_and_ids_are_exact(int index)
    {
        var c = Cases()[index];
        var tok = ClipTokenizer.FromPretrained(PipelineTokenizer);
        Assert.Equal(c.BpeTokens, tok.Tokenize(c.Prompt));
        Assert.Equal(c.InputIdsUnpadded, tok.Encode(c.Prompt));
        var batch = tok.EncodeBatch([c.Prompt]);
        Assert.Equal(c.InputIds, batch.InputIds[0]);
        Assert.Equal(c.AttentionMask, batch.AttentionMask[0]);
    }

    [Fact]
    public void Padded_batch_equals_the_pipeline_fixture_tensor()
    {
        var tok = ClipTokenizer.FromPretrained(PipelineTokenizer);
        using var fixture = FixtureCase.Load(TestPaths.Fixture("sd-pipeline-tiny"));
        var ids = tok.EncodeBatch(Cases().Select(c => c.Prompt).ToList()).InputIdsTensor();
        AssertIds(fixture.Outputs["tokenizer_input_ids"], ids);
        // The pipeline run itself: prompt "a photo of sks dog", negative prompt "".
        AssertIds(fixture.Inputs["cond_input_ids"], tok.EncodeBatch(["a photo of sks dog"]).InputIdsTensor());
        AssertIds(fixture.Inputs["uncond_input_ids"], tok.EncodeBatch([""]).InputIdsTensor());
    }

    [Fact]
    public void Reproduces_the_quickgelu_text_encoder_case_input_ids()
    {
        // clip-text-quickgelu-tiny shares the sd-pipeline-tiny text encoder, and its case.json describes the same
        // tokenizer (BOS 998, EOS 999, pad 999 "<|endoftext|>").
        using var fixture = FixtureCase.Load(TestPaths.Fixture("clip-text-quickgelu-tiny"));
        Assert.Contains("pad=999", fixture.Json.GetProperty("tensors").GetProperty("input.input_ids").GetProperty("description").GetString());
        var prompts = fixture.Json.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()!).ToList();
        var tok = ClipTokenizer.FromPretrained(PipelineTokenizer);
        AssertIds(fixture.Inputs["input_ids"], tok.EncodeBatch(prompts).InputIdsTensor());
    }

    [Fact]
    public void Reproduces_the_gelu_text_encoder_case_input_ids_with_the_sd2_pad_token()
    {
        // clip-text-gelu-tiny has no tokenizer folder; its case.json names BOS 998, EOS 999 and pad 0 "!", which are
        // the sd-pipeline-tiny vocabulary's ids, so that vocabulary with SD 2.x's pad token "!" must reproduce it.
        using var fixture = FixtureCase.Load(TestPaths.Fixture("clip-text-gelu-tiny"));
        string description = fixture.Json.GetProperty("tensors").GetProperty("input.input_ids").GetProperty("description").GetString()!;
        Assert.Contains("BOS=998, EOS=999, pad=0 '!'", description);
        var tok = Sd2Style();
        Assert.Equal(0, tok.PadTokenId);
        var prompts = fixture.Json.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()!).ToList();
        AssertIds(fixture.Inputs["input_ids"], tok.EncodeBatch(prompts).InputIdsTensor());
    }

    // The tiny vocabulary laid out as the SD 2.x tokenizer folders are (pad_token "!" in special_tokens_map.json).
    static ClipTokenizer Sd2Style()
    {
        string dir = Directory.CreateTempSubdirectory("rpo-tok-").FullName;
        try
        {
            foreach (var f in new[] { "vocab.json", "merges.txt", "tokenizer_config.json" })
                File.Copy(Path.Combine(PipelineTokenizer, f), Path.Combine(dir, f));
            File.WriteAllText(Path.Combine(dir, "special_tokens_map.json"), """
                {"bos_token": {"content": "<|startoftext|>", "lstrip": false, "normalized": true, "rstrip": false, "single_word": false},
                 "eos_token": {"content": "<|endoftext|>", "lstrip": false, "normalized": true, "rstrip": false, "single_word": false},
                 "pad_token": "!",
                 "unk_token": {"content": "<|endoftext|>", "lstrip": false, "normalized": true, "rstrip": false, "single_word": false}}
                """);
            return ClipTokenizer.FromPretrained(dir);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Sd2_pad_token_written_in_a_prompt_is_kept_whole_as_transformers_does()
    {
        // "!" is an added (special) token there, so "dog!!" splits as dog</w> ! ! instead of BPE's "!" "!</w>".
        var tok = Sd2Style();
        Assert.Equal(["dog</w>", "!", "!"], tok.Tokenize("dog!!"));
        var sd1 = ClipTokenizer.FromPretrained(PipelineTokenizer);
        Assert.Equal(["dog</w>", "!", "!</w>"], sd1.Tokenize("dog!!"));
    }

    [Fact]
    public void Longest_padding_without_truncation_keeps_every_token()
    {
        var tok = ClipTokenizer.FromPretrained(PipelineTokenizer);
        var cases = Cases();
        var longPrompt = cases.Single(c => c.InputIdsUnpadded.Length > 77);
        var batch = tok.EncodeBatch(["a photo of sks dog", longPrompt.Prompt], ClipPadding.Longest, truncation: false);
        Assert.Equal(longPrompt.InputIdsUnpadded, batch.InputIds[1]);
        Assert.Equal(longPrompt.InputIdsUnpadded.Length, batch.InputIds[0].Length);
        Assert.Equal([998L, 320, 521, 515, 532, 528, 999], batch.InputIds[0][..7]);
        Assert.All(batch.InputIds[0][7..], id => Assert.Equal(tok.PadTokenId, id));
        Assert.Equal(7, batch.AttentionMask[0].Sum());
        Assert.Equal(new long[] { 2, longPrompt.InputIdsUnpadded.Length }, batch.InputIdsTensor().shape);

        var unpadded = tok.EncodeBatch(["a photo of sks dog", "a dog"], ClipPadding.None, truncation: false);
        Assert.Equal([7, 4], unpadded.InputIds.Select(r => r.Length));
        Assert.Throws<InvalidOperationException>(() => unpadded.InputIdsTensor());
    }

    [Fact]
    public void Truncation_keeps_eos_last_at_any_max_length()
    {
        var tok = ClipTokenizer.FromPretrained(PipelineTokenizer);
        var ids = tok.EncodeBatch(["a photo of sks dog on the moon"], ClipPadding.Longest, truncation: true, maxLength: 5).InputIds[0];
        Assert.Equal([998L, 320, 521, 515, 999], ids);
    }

    [Fact]
    public void Cleaning_follows_python_lower_and_whitespace_rules()
    {
        Assert.Equal("a café", ClipTextCleaner.Clean("  A\u00A0CAFÉ\u200B "));   // NBSP is Zs -> space; ZWSP is Cf -> dropped
        Assert.Equal("a b", ClipTextCleaner.Clean("a\u2028b"));                   // line separator splits words
        Assert.Equal("café", ClipTextCleaner.Clean("cafe\u0301"));                // NFC
        Assert.Equal("οδος σα", ClipTextCleaner.Clean("ΟΔΟΣ ΣΑ"));                // final sigma at a word end only
        Assert.Equal("i\u0307stanbul", ClipTextCleaner.Clean("İSTANBUL"));
        Assert.Equal("猫 が", ClipTextCleaner.Clean("猫が"));                      // CJK ideographs set apart, kana not
        Assert.Equal("ab", ClipTextCleaner.Clean("A\u1C89B"));                     // assigned after Unicode 14: dropped as Cn
    }

    [Fact]
    public void Lower_casing_equals_python_for_every_character_of_unicode_14()
    {
        // Digest of "\n".join(chr(cp).lower()) over every assigned, non-surrogate code point, from Python 3.11.
        var lowered = new List<string>();
        for (int cp = 0; cp < 0x110000; cp++)
        {
            if (cp is >= 0xD800 and <= 0xDFFF || ClipTextCleaner.IsUnassignedInReference(cp)) continue;
            lowered.Add(ClipTextCleaner.PythonLower(char.ConvertFromUtf32(cp)));
        }
        Assert.Equal(282230, lowered.Count);
        string digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join('\n', lowered))));
        Assert.Equal("06c25be8bcd831bbb0119d58b4194b9c2ad07c222ecbdaaee6cbb3403070ff87", digest);
    }

    [Fact]
    public void Decode_reassembles_the_cleaned_text()
    {
        var tok = ClipTokenizer.FromPretrained(PipelineTokenizer);
        var ids = tok.EncodeBatch(["A Photo of SKS Dog, in a café!"]).InputIds[0];
        Assert.Equal("a photo of sks dog, in a café!", tok.Decode(ids, skipSpecialTokens: true));
        Assert.StartsWith("<|startoftext|>a photo", tok.Decode(ids), StringComparison.Ordinal);
    }

    [Fact]
    public void Special_tokens_written_in_the_text_are_kept_whole_in_any_case()
    {
        var tok = ClipTokenizer.FromPretrained(PipelineTokenizer);
        // Exact spelling: cut out before cleaning (the added-token trie); other casing: the CLIP pattern's own
        // alternative after lower-casing. Both give the EOS id.
        Assert.Equal(["a</w>", "dog</w>", "<|endoftext|>", "on</w>"], tok.Tokenize("a dog<|endoftext|>on"));
        Assert.Equal(["a</w>", "dog</w>", "<|endoftext|>", "on</w>"], tok.Tokenize("a dog <|ENDOFTEXT|> on"));
        Assert.Equal([998L, 320, 528, 999, 518, 999], tok.Encode("a dog <|ENDOFTEXT|> on"));
    }
}
