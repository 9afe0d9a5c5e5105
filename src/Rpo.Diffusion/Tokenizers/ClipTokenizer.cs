using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace Rpo.Diffusion.Tokenizers;

/// <summary>
/// CLIP's byte-level BPE tokenizer, equal to the slow transformers <c>CLIPTokenizer</c> (4.36) without ftfy: added and
/// special tokens written in the text are kept whole, the rest is cleaned (<see cref="ClipTextCleaner"/>), split with
/// the CLIP pattern (<see cref="ClipPreTokenizer"/>), each piece's UTF-8 bytes mapped to
/// <see cref="ByteLevelAlphabet"/> symbols with <c>&lt;/w&gt;</c> on the last, and merged by rank. A symbol that is not
/// in the vocabulary becomes the unknown token. Sequences are <c>[BOS] tokens [EOS]</c>.
/// </summary>
public sealed class ClipTokenizer
{
    const string EndOfWord = "</w>";
    // CLIPTokenizer reads at most this many merges (the size of OpenAI's CLIP vocabulary less bytes and specials).
    const int MaxMerges = 49152 - 256 - 2;

    readonly Dictionary<string, int> _vocab;
    readonly Dictionary<(string, string), int> _mergeRanks;
    readonly IReadOnlyList<AddedToken> _addedTokens;
    readonly Dictionary<string, int> _addedTokenIds;
    readonly ConcurrentDictionary<string, string[]> _bpeCache = new(StringComparer.Ordinal);
    readonly HashSet<string> _specialTokens;
    readonly HashSet<long> _specialIds;
    readonly bool _cleanUpTokenizationSpaces;

    /// <summary>A token kept whole when written in the text, with transformers' <c>AddedToken</c> options.</summary>
    public sealed record AddedToken(string Content, int Id, bool LStrip = false, bool RStrip = false, bool SingleWord = false);

    public int BosTokenId { get; }
    public int EosTokenId { get; }
    public int PadTokenId { get; }
    public int UnkTokenId { get; }
    /// <summary><c>model_max_length</c> of tokenizer_config.json (77 for the SD tokenizers); null when the folder gives none.</summary>
    public int? ModelMaxLength { get; }
    public int VocabSize => _vocab.Count;
    public IReadOnlyList<AddedToken> AddedTokens => _addedTokens;

    public ClipTokenizer(
        IReadOnlyDictionary<string, int> vocab, IEnumerable<string> merges, string bosToken = "<|startoftext|>", string eosToken = "<|endoftext|>",
        string padToken = "<|endoftext|>", string unkToken = "<|endoftext|>", int? modelMaxLength = 77, IEnumerable<AddedToken>? addedTokens = null,
        bool cleanUpTokenizationSpaces = true)
    {
        _vocab = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        _mergeRanks = new Dictionary<(string, string), int>();
        int rank = 0;
        foreach (var line in merges)
        {
            // A malformed line still takes its rank, as in the reference (it just never matches a pair).
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2) _mergeRanks[(parts[0], parts[1])] = rank;
            rank++;
        }

        var added = new List<AddedToken>();
        foreach (var token in addedTokens ?? [])
            if (added.All(a => a.Content != token.Content)) added.Add(token);
        // Special tokens are added tokens too (PreTrainedTokenizer.__init__ adds them), so "<|endoftext|>" or an
        // SD 2.x pad token "!" written in a prompt is kept whole rather than run through BPE.
        foreach (var special in new[] { bosToken, eosToken, unkToken, padToken })
            if (added.All(a => a.Content != special)) added.Add(new AddedToken(special, VocabId(special)));
        _addedTokens = added;
        _addedTokenIds = added.ToDictionary(a => a.Content, a => a.Id, StringComparer.Ordinal);

        BosTokenId = _addedTokenIds[bosToken];
        EosTokenId = _addedTokenIds[eosToken];
        PadTokenId = _addedTokenIds[padToken];
        UnkTokenId = _addedTokenIds[unkToken];
        ModelMaxLength = modelMaxLength;
        _specialTokens = new HashSet<string>([bosToken, eosToken, unkToken, padToken], StringComparer.Ordinal);
        _specialIds = _specialTokens.Select(t => (long)_addedTokenIds[t]).ToHashSet();
        _cleanUpTokenizationSpaces = cleanUpTokenizationSpaces;

        int VocabId(string token) => _vocab.TryGetValue(token, out int id)
            ? id
            : throw new InvalidDataException($"The special token '{token}' is neither in the vocabulary nor in added_tokens_decoder.");
    }

    /// <summary>
    /// Reads a transformers tokenizer folder: vocab.json, merges.txt, and the special tokens and
    /// <c>model_max_length</c> from tokenizer_config.json and special_tokens_map.json (the latter wins, as in
    /// transformers), with CLIPTokenizer's defaults where neither names one.
    /// </summary>
    public static ClipTokenizer FromPretrained(string folder)
    {
        string vocabPath = Path.Combine(folder, "vocab.json");
        string mergesPath = Path.Combine(folder, "merges.txt");
        foreach (var required in new[] { vocabPath, mergesPath })
            if (!File.Exists(required)) throw new FileNotFoundException($"{folder} is not a CLIP tokenizer folder: {Path.GetFileName(required)} is missing.", required);

        var vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(vocabPath))
            ?? throw new InvalidDataException($"{vocabPath} holds no vocabulary.");
        // Python: open(...).read().strip().split("\n")[1:49152-256-2+1] — the first line is the "#version" header.
        var mergeLines = File.ReadAllText(mergesPath).Trim().Split('\n').Skip(1).Take(MaxMerges);

        var config = ReadJsonObject(Path.Combine(folder, "tokenizer_config.json"));
        var map = ReadJsonObject(Path.Combine(folder, "special_tokens_map.json"));
        // special_tokens_map.json overrides tokenizer_config.json, as in transformers' from_pretrained.
        JsonElement? SpecialEntry(string key) =>
            map is { } m1 && m1.TryGetProperty(key, out var a) && a.ValueKind != JsonValueKind.Null ? a
            : config is { } c1 && c1.TryGetProperty(key, out var b) && b.ValueKind != JsonValueKind.Null ? b
            : null;
        string Special(string key, string fallback) => SpecialEntry(key) switch
        {
            { ValueKind: JsonValueKind.String } e => e.GetString()!,
            { ValueKind: JsonValueKind.Object } e => e.GetProperty("content").GetString()!,
            null => fallback,
            var e => throw new InvalidDataException($"{folder}: {key} is neither a string nor a token object ({e.Value.ValueKind})."),
        };

        var added = new List<AddedToken>();
        if (config is { } c && c.TryGetProperty("added_tokens_decoder", out var decoder) && decoder.ValueKind == JsonValueKind.Object)
            foreach (var entry in decoder.EnumerateObject())
                added.Add(new AddedToken(
                    entry.Value.GetProperty("content").GetString()!, int.Parse(entry.Name, System.Globalization.CultureInfo.InvariantCulture),
                    Flag(entry.Value, "lstrip"), Flag(entry.Value, "rstrip"), Flag(entry.Value, "single_word")));
        // A special token given as an object carries its strip options (AddedToken(**value)) unless
        // added_tokens_decoder already describes it.
        foreach (var key in new[] { "bos_token", "eos_token", "unk_token", "pad_token" })
            if (SpecialEntry(key) is { ValueKind: JsonValueKind.Object } v)
            {
                string content = v.GetProperty("content").GetString()!;
                if (added.All(a => a.Content != content) && vocab.TryGetValue(content, out int id))
                    added.Add(new AddedToken(content, id, Flag(v, "lstrip"), Flag(v, "rstrip"), Flag(v, "single_word")));
            }

        int? maxLength = null;
        if (config is { } cfg && cfg.TryGetProperty("model_max_length", out var m) && m.ValueKind == JsonValueKind.Number)
        {
            // transformers writes 1e30 ("VERY_LARGE_INTEGER") for "no limit".
            double value = m.GetDouble();
            maxLength = value < int.MaxValue ? (int)value : null;
        }

        bool cleanUp = config is not { } cc || !cc.TryGetProperty("clean_up_tokenization_spaces", out var cu) || cu.ValueKind != JsonValueKind.False;

        return new ClipTokenizer(
            vocab, mergeLines,
            bosToken: Special("bos_token", "<|startoftext|>"), eosToken: Special("eos_token", "<|endoftext|>"),
            padToken: Special("pad_token", "<|endoftext|>"), unkToken: Special("unk_token", "<|endoftext|>"),
            modelMaxLength: maxLength, addedTokens: added, cleanUpTokenizationSpaces: cleanUp);
    }

    static JsonElement? ReadJsonObject(string path) =>
        File.Exists(path) ? JsonDocument.Parse(File.ReadAllText(path)).RootElement : null;

    static bool Flag(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    /// <summary>The BPE tokens of the text, without BOS/EOS (transformers' <c>tokenizer.tokenize(text)</c>).</summary>
    public IReadOnlyList<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<string>();
        foreach (var (segment, isAdded) in SplitOnAddedTokens(text))
        {
            if (isAdded) { tokens.Add(segment); continue; }
            foreach (var piece in ClipPreTokenizer.Split(ClipTextCleaner.Clean(segment)))
                tokens.AddRange(Bpe(ByteLevelAlphabet.Encode(Encoding.UTF8.GetBytes(piece))));
        }
        return tokens;
    }

    public int TokenToId(string token) =>
        _addedTokenIds.TryGetValue(token, out int added) ? added : _vocab.TryGetValue(token, out int id) ? id : UnkTokenId;

    /// <summary><c>[BOS] ids [EOS]</c> of the text, neither truncated nor padded (<c>tokenizer(text).input_ids</c>).</summary>
    public long[] Encode(string text)
    {
        var tokens = Tokenize(text);
        var ids = new long[tokens.Count + 2];
        ids[0] = BosTokenId;
        for (int i = 0; i < tokens.Count; i++) ids[i + 1] = TokenToId(tokens[i]);
        ids[^1] = EosTokenId;
        return ids;
    }

    /// <summary>
    /// <c>tokenizer(texts, padding=..., truncation=..., max_length=...)</c>: truncation keeps the first
    /// <c>maxLength - 2</c> tokens between BOS and EOS; padding appends the pad token on the right, with attention
    /// mask 0. <paramref name="maxLength"/> defaults to <see cref="ModelMaxLength"/>. The SD pipelines use the
    /// defaults (pad to 77, truncate); the CLIP-T metric uses <see cref="ClipPadding.Longest"/> without truncation.
    /// </summary>
    public TokenizedBatch EncodeBatch(IReadOnlyList<string> texts, ClipPadding padding = ClipPadding.MaxLength, bool truncation = true, int? maxLength = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        int? limit = maxLength ?? ModelMaxLength;
        if ((truncation || padding == ClipPadding.MaxLength) && limit is null)
            throw new InvalidOperationException("The tokenizer has no model_max_length: pass maxLength to truncate or pad to a maximum length.");
        if (truncation && limit < 2)
            throw new ArgumentOutOfRangeException(nameof(maxLength), limit, "Truncation must leave room for BOS and EOS.");

        var rows = new List<long[]>(texts.Count);
        foreach (var text in texts)
        {
            var ids = Encode(text);
            if (truncation && ids.Length > limit!.Value)
            {
                var cut = ids[..limit.Value];
                cut[^1] = EosTokenId;
                ids = cut;
            }
            rows.Add(ids);
        }

        int target = padding switch
        {
            ClipPadding.MaxLength => limit!.Value,
            ClipPadding.Longest => rows.Count == 0 ? 0 : rows.Max(r => r.Length),
            _ => 0,
        };
        var inputIds = new List<long[]>(rows.Count);
        var masks = new List<long[]>(rows.Count);
        foreach (var ids in rows)
        {
            int length = Math.Max(ids.Length, target);
            var padded = new long[length];
            var mask = new long[length];
            Array.Fill(padded, PadTokenId);
            ids.CopyTo(padded, 0);
            Array.Fill(mask, 1L, 0, ids.Length);
            inputIds.Add(padded);
            masks.Add(mask);
        }
        return new TokenizedBatch(inputIds, masks);
    }

    /// <summary>
    /// <c>tokenizer.decode(ids, skip_special_tokens=...)</c>: byte symbols back to UTF-8 (invalid sequences become
    /// U+FFFD, errors="replace"), <c>&lt;/w&gt;</c> to a space, and transformers' clean-up of spaces before punctuation
    /// when tokenizer_config.json asks for it (its default).
    /// </summary>
    public string Decode(IEnumerable<long> ids, bool skipSpecialTokens = false)
    {
        var byId = _vocab.ToDictionary(kv => kv.Value, kv => kv.Key);
        foreach (var a in _addedTokens) byId[a.Id] = a.Content;
        var subTexts = new List<string>();
        var current = new StringBuilder();
        void Flush()
        {
            if (current.Length == 0) return;
            string text = SymbolsToText(current.ToString());
            if (text.Length > 0) subTexts.Add(text);
            current.Clear();
        }
        foreach (var id in ids)
        {
            if (skipSpecialTokens && _specialIds.Contains(id)) continue;
            if (!byId.TryGetValue(checked((int)id), out var token)) throw new ArgumentOutOfRangeException(nameof(ids), id, "Not a token id of this tokenizer.");
            // Added tokens that are not special stay apart from the BPE text; special ones decode as text (4.36).
            if (_addedTokenIds.ContainsKey(token) && !_specialTokens.Contains(token)) { Flush(); subTexts.Add(token); }
            else current.Append(token);
        }
        Flush();
        string joined = string.Join(' ', subTexts);
        return _cleanUpTokenizationSpaces ? CleanUpTokenization(joined) : joined;
    }

    // convert_tokens_to_string: every symbol is a byte ("</w>" is plain ASCII), then "</w>" becomes a space.
    static string SymbolsToText(string symbols)
    {
        if (!ByteLevelAlphabet.TryDecode(symbols, out var bytes))
            throw new InvalidDataException($"'{symbols}' holds characters outside the byte-level alphabet.");
        return Encoding.UTF8.GetString(bytes).Replace(EndOfWord, " ", StringComparison.Ordinal).Trim();
    }

    // transformers' clean_up_tokenization.
    static string CleanUpTokenization(string text) => text
        .Replace(" .", ".", StringComparison.Ordinal).Replace(" ?", "?", StringComparison.Ordinal)
        .Replace(" !", "!", StringComparison.Ordinal).Replace(" ,", ",", StringComparison.Ordinal)
        .Replace(" ' ", "'", StringComparison.Ordinal).Replace(" n't", "n't", StringComparison.Ordinal)
        .Replace(" 'm", "'m", StringComparison.Ordinal).Replace(" 's", "'s", StringComparison.Ordinal)
        .Replace(" 've", "'ve", StringComparison.Ordinal).Replace(" 're", "'re", StringComparison.Ordinal);

    /// <summary>
    /// transformers' <c>tokens_trie.split</c> plus the strip options of <c>PreTrainedTokenizer.tokenize</c>: the text is
    /// cut around every added token (leftmost, longest first); the pieces between are tokenized separately.
    /// </summary>
    List<(string Text, bool IsAdded)> SplitOnAddedTokens(string text)
    {
        var parts = new List<string>();
        int start = 0, i = 0;
        while (i < text.Length)
        {
            AddedToken? best = null;
            foreach (var a in _addedTokens)
                if (a.Content.Length > 0 && string.CompareOrdinal(text, i, a.Content, 0, a.Content.Length) == 0
                    && (best is null || a.Content.Length > best.Content.Length))
                    best = a;
            if (best is null) { i++; continue; }
            if (i > start) parts.Add(text[start..i]);
            parts.Add(best.Content);
            i += best.Content.Length;
            start = i;
        }
        if (start < text.Length) parts.Add(text[start..]);

        for (int k = 0; k < parts.Count; k++)
        {
            if (!_addedTokenIds.ContainsKey(parts[k])) continue;
            var token = _addedTokens.First(a => a.Content == parts[k]);
            string? left = k > 0 ? parts[k - 1] : null;
            string? right = k < parts.Count - 1 ? parts[k + 1] : null;
            if (token.RStrip && !string.IsNullOrEmpty(right)) parts[k + 1] = PythonLStrip(right);
            if (token.LStrip && !string.IsNullOrEmpty(left)) parts[k - 1] = PythonRStrip(left);
            if (token.SingleWord && !string.IsNullOrEmpty(left) && left[^1] != ' ') { parts[k - 1] += parts[k]; parts[k] = ""; }
            else if (token.SingleWord && !string.IsNullOrEmpty(right) && right[0] != ' ') { parts[k] += right; parts[k + 1] = ""; }
        }
        return parts.Where(p => p.Length > 0).Select(p => (p, _addedTokenIds.ContainsKey(p))).ToList();
    }

    static string PythonLStrip(string s)
    {
        int i = 0;
        while (i < s.Length && System.Text.Rune.TryCreate(s[i], out var r) && ClipTextCleaner.IsPythonSpace(r)) i++;
        return s[i..];
    }

    static string PythonRStrip(string s)
    {
        int i = s.Length;
        while (i > 0 && System.Text.Rune.TryCreate(s[i - 1], out var r) && ClipTextCleaner.IsPythonSpace(r)) i--;
        return s[..i];
    }

    /// <summary>BPE of one pre-token (already in byte symbols): merge the lowest-ranked adjacent pair until none is left.</summary>
    string[] Bpe(string token)
    {
        if (token is "<|startoftext|>" or "<|endoftext|>") return [token];
        return _bpeCache.GetOrAdd(token, t =>
        {
            if (t.Length == 1) return [t + EndOfWord];
            var word = new List<string>(t.Length);
            for (int i = 0; i < t.Length - 1; i++) word.Add(t[i].ToString());
            word.Add(t[^1] + EndOfWord);
            while (word.Count > 1)
            {
                int bestRank = int.MaxValue;
                (string, string) best = default;
                for (int i = 0; i < word.Count - 1; i++)
                    if (_mergeRanks.TryGetValue((word[i], word[i + 1]), out int r) && r < bestRank) { bestRank = r; best = (word[i], word[i + 1]); }
                if (bestRank == int.MaxValue) break;
                var merged = new List<string>(word.Count);
                for (int i = 0; i < word.Count; i++)
                {
                    if (i < word.Count - 1 && word[i] == best.Item1 && word[i + 1] == best.Item2)
                    {
                        merged.Add(best.Item1 + best.Item2);
                        i++;
                    }
                    else merged.Add(word[i]);
                }
                word = merged;
            }
            return word.ToArray();
        });
    }
}
