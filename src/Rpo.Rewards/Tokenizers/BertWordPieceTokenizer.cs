using System.Globalization;
using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Rewards.Tokenizers;

/// <summary>
/// transformers' slow <c>BertTokenizer</c> as ALIGN uses it: special tokens split out first, then the basic
/// tokenizer (clean control characters, spaces around CJK ideographs, NFC, whitespace split, lower case + accent
/// stripping when do_lower_case, punctuation split), then greedy longest-match-first WordPiece with "##"
/// continuations ([UNK] for a word it cannot cover or longer than 100 characters). Sequences are
/// [CLS] tokens [SEP], padded with [PAD] to max_length as AlignProcessor does (padding="max_length",
/// max_length=64, no truncation), token_type_ids all 0.
/// </summary>
public sealed class BertWordPieceTokenizer
{
    private const int MaxInputCharsPerWord = 100;

    private readonly Dictionary<string, int> vocab;
    private readonly string[] specialTokens;

    public bool DoLowerCase { get; }

    /// <summary>null = follow do_lower_case (transformers' strip_accents=None).</summary>
    public bool? StripAccents { get; }

    public bool TokenizeChineseChars { get; }

    public int ClsId { get; }
    public int SepId { get; }
    public int PadId { get; }
    public int UnkId { get; }
    public string UnkToken { get; }

    /// <summary>model_max_length of tokenizer_config.json (64 for kakaobrain/align-base); null if absent.</summary>
    public int? ModelMaxLength { get; }

    public int VocabSize => vocab.Count;

    public BertWordPieceTokenizer(
        IReadOnlyList<string> vocabLines,
        bool doLowerCase = true,
        bool? stripAccents = null,
        bool tokenizeChineseChars = true,
        string clsToken = "[CLS]",
        string sepToken = "[SEP]",
        string padToken = "[PAD]",
        string unkToken = "[UNK]",
        string maskToken = "[MASK]",
        int? modelMaxLength = null)
    {
        vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < vocabLines.Count; i++)
            vocab[vocabLines[i]] = i; // a duplicate line maps to its last index, as load_vocab's dict does
        DoLowerCase = doLowerCase;
        StripAccents = stripAccents;
        TokenizeChineseChars = tokenizeChineseChars;
        UnkToken = unkToken;
        ClsId = Id(clsToken);
        SepId = Id(sepToken);
        PadId = Id(padToken);
        UnkId = Id(unkToken);
        ModelMaxLength = modelMaxLength;
        specialTokens = new[] { clsToken, sepToken, padToken, unkToken, maskToken }
            .Where(vocab.ContainsKey).Distinct().OrderByDescending(t => t.Length).ToArray();
    }

    /// <summary>Reads vocab.txt and tokenizer_config.json (do_lower_case, strip_accents, tokenize_chinese_chars, special tokens, model_max_length) from a tokenizer folder.</summary>
    public static BertWordPieceTokenizer FromFolder(string folder)
    {
        var vocabPath = Path.Combine(folder, "vocab.txt");
        if (!File.Exists(vocabPath))
            throw new FileNotFoundException($"WordPiece vocabulary not found: {vocabPath}", vocabPath);
        // vocab.txt: one token per line, id = line number; only the line break is stripped (load_vocab's rstrip("\n")
        // after Python's universal-newline reading, hence \r\n too).
        var text = File.ReadAllText(vocabPath, Encoding.UTF8);
        var lines = text.Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0)
            lines.RemoveAt(lines.Count - 1);
        for (var i = 0; i < lines.Count; i++)
            lines[i] = lines[i].TrimEnd('\r');

        var configPath = Path.Combine(folder, "tokenizer_config.json");
        bool doLowerCase = true, tokenizeChinese = true;
        bool? stripAccents = null;
        int? maxLength = null;
        string cls = "[CLS]", sep = "[SEP]", pad = "[PAD]", unk = "[UNK]", mask = "[MASK]";
        if (File.Exists(configPath))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
            var root = doc.RootElement;
            doLowerCase = Bool(root, "do_lower_case") ?? true;
            stripAccents = Bool(root, "strip_accents");
            tokenizeChinese = Bool(root, "tokenize_chinese_chars") ?? true;
            if (Bool(root, "do_basic_tokenize") == false)
                throw new NotSupportedException("tokenizer_config.json: do_basic_tokenize false is not supported.");
            if (root.TryGetProperty("model_max_length", out var m) && m.ValueKind == JsonValueKind.Number && m.TryGetInt32(out var ml))
                maxLength = ml;
            cls = Token(root, "cls_token") ?? cls;
            sep = Token(root, "sep_token") ?? sep;
            pad = Token(root, "pad_token") ?? pad;
            unk = Token(root, "unk_token") ?? unk;
            mask = Token(root, "mask_token") ?? mask;
        }
        return new BertWordPieceTokenizer(lines, doLowerCase, stripAccents, tokenizeChinese, cls, sep, pad, unk, mask, maxLength);
    }

    /// <summary>Word pieces of one text, without [CLS]/[SEP].</summary>
    public IReadOnlyList<string> Tokenize(string text)
    {
        var pieces = new List<string>();
        foreach (var (segment, isSpecial) in SplitOnSpecialTokens(text))
        {
            if (isSpecial)
            {
                pieces.Add(segment);
                continue;
            }
            foreach (var word in BasicTokenize(segment))
                WordPiece(word, pieces);
        }
        return pieces;
    }

    /// <summary>Token ids of one text: [CLS] pieces [SEP], unpadded.</summary>
    public IReadOnlyList<int> Encode(string text)
    {
        var ids = new List<int> { ClsId };
        foreach (var piece in Tokenize(text))
            ids.Add(vocab.TryGetValue(piece, out var id) ? id : UnkId);
        ids.Add(SepId);
        return ids;
    }

    /// <summary>
    /// AlignProcessor(text=...) with its defaults: each text encoded, padded with [PAD] to
    /// <paramref name="maxLength"/>, nothing truncated. A text longer than that keeps all its tokens
    /// (transformers then cannot stack such a batch; here the batch is padded to its longest text, which leaves
    /// every row's features unchanged because padding is masked).
    /// </summary>
    public BertEncoding EncodeBatch(IReadOnlyList<string> texts, int maxLength = 64)
    {
        var encoded = texts.Select(Encode).ToList();
        var width = Math.Max(maxLength, encoded.Count == 0 ? 0 : encoded.Max(e => e.Count));
        var ids = new long[texts.Count, width];
        var mask = new long[texts.Count, width];
        for (var i = 0; i < encoded.Count; i++)
            for (var j = 0; j < width; j++)
            {
                var real = j < encoded[i].Count;
                ids[i, j] = real ? encoded[i][j] : PadId;
                mask[i, j] = real ? 1 : 0;
            }
        return new BertEncoding(ids, mask, new long[texts.Count, width]);
    }

    private int Id(string token) => vocab.TryGetValue(token, out var id)
        ? id
        : throw new ArgumentException($"Special token '{token}' is not in the vocabulary.");

    /// <summary>Special tokens are matched verbatim before any normalisation, like transformers' added-token trie.</summary>
    private IEnumerable<(string Text, bool IsSpecial)> SplitOnSpecialTokens(string text)
    {
        var start = 0;
        var i = 0;
        while (i < text.Length)
        {
            var match = specialTokens.FirstOrDefault(t => string.CompareOrdinal(text, i, t, 0, t.Length) == 0);
            if (match is null)
            {
                i++;
                continue;
            }
            if (i > start)
                yield return (text[start..i], false);
            yield return (match, true);
            i += match.Length;
            start = i;
        }
        if (start < text.Length)
            yield return (text[start..], false);
    }

    private List<string> BasicTokenize(string text)
    {
        var cleaned = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            var cp = rune.Value;
            if (cp == 0 || cp == 0xFFFD || IsControl(rune))
                continue;
            if (IsWhitespace(rune))
                cleaned.Append(' ');
            else if (TokenizeChineseChars && IsChineseChar(cp))
                cleaned.Append(' ').Append(rune.ToString()).Append(' ');
            else
                cleaned.Append(rune.ToString());
        }
        var normalized = UnicodeNormalizer.Nfc(cleaned.ToString());

        var split = new List<string>();
        foreach (var original in WhitespaceSplit(normalized))
        {
            var token = original;
            if (DoLowerCase)
            {
                token = PythonLower(token);
                if (StripAccents != false)
                    token = RemoveAccents(token);
            }
            else if (StripAccents == true)
            {
                token = RemoveAccents(token);
            }
            split.AddRange(SplitOnPunctuation(token));
        }
        // transformers re-splits " ".join(split) on whitespace; the pieces already contain none.
        return split.Where(s => s.Length > 0).ToList();
    }

    private void WordPiece(string word, List<string> output)
    {
        var runes = word.EnumerateRunes().Select(r => r.ToString()).ToArray();
        if (runes.Length > MaxInputCharsPerWord)
        {
            output.Add(UnkToken);
            return;
        }
        var pieces = new List<string>();
        var start = 0;
        while (start < runes.Length)
        {
            string? found = null;
            var end = runes.Length;
            for (; end > start; end--)
            {
                var candidate = string.Concat(runes[start..end]);
                if (start > 0)
                    candidate = "##" + candidate;
                if (vocab.ContainsKey(candidate))
                {
                    found = candidate;
                    break;
                }
            }
            if (found is null)
            {
                output.Add(UnkToken);
                return;
            }
            pieces.Add(found);
            start = end;
        }
        output.AddRange(pieces);
    }

    private static IEnumerable<string> WhitespaceSplit(string text)
        => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// Lower case as the reference does it: PreTrainedTokenizer.tokenize lower-cases the text one character at a
    /// time (re.sub with "(.+?)") before BasicTokenizer lower-cases again, so Python's context rule for final sigma
    /// never fires (Σ always becomes σ), while the unconditional special casing does: U+0130 (I with dot above)
    /// becomes "i" + U+0307, which .NET's invariant casing leaves alone.
    /// </summary>
    public static string PythonLower(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.Value == 0x0130)
                sb.Append("i\u0307");
            else
                sb.Append(Rune.ToLowerInvariant(rune).ToString());
        }
        return sb.ToString();
    }

    private static string RemoveAccents(string token)
    {
        var decomposed = UnicodeNormalizer.Nfd(token);
        var sb = new StringBuilder(decomposed.Length);
        foreach (var rune in decomposed.EnumerateRunes())
            if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark)
                sb.Append(rune.ToString());
        return sb.ToString();
    }

    private static IEnumerable<string> SplitOnPunctuation(string token)
    {
        var current = new StringBuilder();
        foreach (var rune in token.EnumerateRunes())
        {
            if (IsPunctuation(rune))
            {
                if (current.Length > 0)
                {
                    yield return current.ToString();
                    current.Clear();
                }
                yield return rune.ToString();
            }
            else
            {
                current.Append(rune.ToString());
            }
        }
        if (current.Length > 0)
            yield return current.ToString();
    }

    // _is_whitespace: space, \t, \n, \r, or category Zs.
    private static bool IsWhitespace(Rune r)
        => r.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(r) == UnicodeCategory.SpaceSeparator;

    // _is_control: \t \n \r count as whitespace; otherwise any category C*.
    private static bool IsControl(Rune r)
    {
        if (r.Value is '\t' or '\n' or '\r')
            return false;
        return Rune.GetUnicodeCategory(r) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
            or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
    }

    // _is_punctuation: all non-alphanumeric ASCII (33-47, 58-64, 91-96, 123-126) plus categories P*.
    private static bool IsPunctuation(Rune r)
    {
        var cp = r.Value;
        if (cp is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126)
            return true;
        return Rune.GetUnicodeCategory(r) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    // The CJK Unified Ideographs blocks of _is_chinese_char (not Hangul or kana).
    private static bool IsChineseChar(int cp)
        => cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;

    private static bool? Bool(JsonElement root, string name)
        => root.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => null,
        } : null;

    // Special tokens appear either as plain strings or as AddedToken objects {"content": ...}.
    private static string? Token(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v))
            return null;
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Object when v.TryGetProperty("content", out var c) => c.GetString(),
            _ => null,
        };
    }
}

/// <summary>A padded batch: input_ids, attention_mask and token_type_ids, each [N, L].</summary>
public sealed record BertEncoding(long[,] InputIds, long[,] AttentionMask, long[,] TokenTypeIds)
{
    public int Count => InputIds.GetLength(0);

    public int Length => InputIds.GetLength(1);

    /// <summary>The three arrays as int64 tensors on the CPU.</summary>
    public (Tensor InputIds, Tensor AttentionMask, Tensor TokenTypeIds) ToTensors()
        => (torch.tensor(InputIds), torch.tensor(AttentionMask), torch.tensor(TokenTypeIds));
}
