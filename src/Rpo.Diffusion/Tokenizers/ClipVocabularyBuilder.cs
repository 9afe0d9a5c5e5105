using System.Text;
using System.Text.Json;

namespace Rpo.Diffusion.Tokenizers;

/// <summary>
/// Learns a small CLIP byte-level BPE vocabulary from a corpus (for the tiny mock model), laid out as CLIP's own:
/// the 256 byte symbols, the same with <c>&lt;/w&gt;</c>, one token per merge in rank order, then
/// <c>&lt;|startoftext|&gt;</c> and <c>&lt;|endoftext|&gt;</c>. Text is cleaned and split exactly as <see cref="ClipTokenizer"/> does.
/// </summary>
public static class ClipVocabularyBuilder
{
    public const string Bos = "<|startoftext|>";
    public const string Eos = "<|endoftext|>";

    public sealed record Vocabulary(IReadOnlyDictionary<string, int> Vocab, IReadOnlyList<(string Left, string Right)> Merges);

    /// <summary>
    /// Merges the most frequent adjacent pair until the vocabulary has <paramref name="vocabSize"/> entries or no
    /// pair repeats; ties go to the ordinally smaller pair, so the result depends on the corpus alone.
    /// </summary>
    public static Vocabulary Build(IEnumerable<string> corpus, int vocabSize)
    {
        const int baseSize = 512 + 2;
        if (vocabSize < baseSize) throw new ArgumentOutOfRangeException(nameof(vocabSize), $"a CLIP vocabulary has at least {baseSize} entries.");
        var words = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in corpus)
            foreach (var piece in ClipPreTokenizer.Split(ClipTextCleaner.Clean(text)))
            {
                string symbols = ByteLevelAlphabet.Encode(Encoding.UTF8.GetBytes(piece));
                words[symbols] = words.GetValueOrDefault(symbols) + 1;
            }
        var segmented = words.Select(w => (Symbols: Segment(w.Key), Count: w.Value)).ToList();

        var merges = new List<(string, string)>();
        while (baseSize + merges.Count < vocabSize)
        {
            var counts = new Dictionary<(string, string), int>();
            foreach (var (symbols, count) in segmented)
                for (int i = 0; i + 1 < symbols.Count; i++)
                    counts[(symbols[i], symbols[i + 1])] = counts.GetValueOrDefault((symbols[i], symbols[i + 1])) + count;
            if (counts.Count == 0) break;
            var best = counts.OrderByDescending(c => c.Value)
                .ThenBy(c => c.Key.Item1, StringComparer.Ordinal).ThenBy(c => c.Key.Item2, StringComparer.Ordinal).First();
            if (best.Value < 2 && merges.Count > 0) break;
            merges.Add(best.Key);
            foreach (var (symbols, _) in segmented) MergeInPlace(symbols, best.Key);
        }

        // CLIP's vocabulary starts with bytes_to_unicode's values, whose order is their code point order.
        var bytes = Enumerable.Range(0, 256).Select(b => ByteLevelAlphabet.Encode((byte)b).ToString()).Order(StringComparer.Ordinal).ToList();
        var tokens = bytes.Concat(bytes.Select(b => b + "</w>")).Concat(merges.Select(m => m.Item1 + m.Item2)).Append(Bos).Append(Eos);
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var token in tokens) vocab.TryAdd(token, vocab.Count);
        return new Vocabulary(vocab, merges);
    }

    /// <summary>Writes vocab.json, merges.txt, tokenizer_config.json and special_tokens_map.json as transformers does (SD 1.x padding with EOS).</summary>
    public static void Save(Vocabulary vocabulary, string folder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "vocab.json"), JsonSerializer.Serialize(vocabulary.Vocab));
        File.WriteAllText(Path.Combine(folder, "merges.txt"),
            "#version: 0.2\n" + string.Concat(vocabulary.Merges.Select(m => $"{m.Left} {m.Right}\n")));
        var special = new Dictionary<string, string> { ["bos_token"] = Bos, ["eos_token"] = Eos, ["pad_token"] = Eos, ["unk_token"] = Eos };
        File.WriteAllText(Path.Combine(folder, "special_tokens_map.json"), JsonSerializer.Serialize(special, Indented));
        var config = new Dictionary<string, object>(special.Select(kv => new KeyValuePair<string, object>(kv.Key, kv.Value)))
        {
            ["model_max_length"] = 77,
            ["tokenizer_class"] = "CLIPTokenizer",
            ["do_lower_case"] = true,
            ["clean_up_tokenization_spaces"] = true,
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), JsonSerializer.Serialize(config, Indented));
    }

    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    static List<string> Segment(string symbols)
    {
        var runes = symbols.EnumerateRunes().Select(r => r.ToString()).ToList();
        runes[^1] += "</w>";
        return runes;
    }

    static void MergeInPlace(List<string> symbols, (string Left, string Right) pair)
    {
        for (int i = 0; i + 1 < symbols.Count; i++)
            if (symbols[i] == pair.Left && symbols[i + 1] == pair.Right)
            {
                symbols[i] = pair.Left + pair.Right;
                symbols.RemoveAt(i + 1);
            }
    }
}
