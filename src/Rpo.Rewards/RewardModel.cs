using System.Text.Json;
using Rpo.Diffusion.Imaging;
using Rpo.Diffusion.Tokenizers;
using Rpo.Rewards.Encoders;
using Rpo.Rewards.Encoders.Align;
using Rpo.Rewards.Encoders.Clip;
using Rpo.Rewards.Processing;
using Rpo.Rewards.Tokenizers;
using static TorchSharp.torch;

namespace Rpo.Rewards;

/// <summary>The dual encoder families the reward can use.</summary>
public enum RewardEncoderKind
{
    /// <summary>kakaobrain/align-base family (the paper's).</summary>
    Align,
    /// <summary>openai/clip-vit-base-patch16 family.</summary>
    Clip,
}

/// <summary>Token tensors for a text tower: [N, L] int64 each; <see cref="TokenTypeIds"/> only for BERT towers.</summary>
public sealed record TextInputs(Tensor InputIds, Tensor AttentionMask, Tensor? TokenTypeIds) : IDisposable
{
    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        TokenTypeIds?.Dispose();
    }
}

/// <summary>
/// An image/text encoder with its processor and tokenizer, all read from one transformers folder (config.json,
/// model.safetensors, preprocessor_config.json and the tokenizer files): CLIP (BPE tokenizer, padded to
/// max_position_embeddings with truncation, as the reward's CLIPProcessor call) or ALIGN (WordPiece, padded to 64
/// without truncation, AlignProcessor's defaults). The family comes from config.json's <c>model_type</c>, else its
/// <c>architectures</c>. Encoding is batched and without grad.
/// </summary>
public sealed class RewardModel : IDisposable
{
    /// <summary>AlignProcessor's default <c>max_length</c>.</summary>
    public const int AlignMaxLength = 64;

    readonly ClipTokenizer? _clipTokenizer;
    readonly BertWordPieceTokenizer? _bertTokenizer;
    readonly int _clipMaxLength;

    RewardModel(RewardEncoderKind kind, IImageTextEncoder encoder, ImageProcessor processor, ClipTokenizer? clip, BertWordPieceTokenizer? bert, int clipMaxLength)
    {
        Kind = kind;
        Encoder = encoder;
        Processor = processor;
        _clipTokenizer = clip;
        _bertTokenizer = bert;
        _clipMaxLength = clipMaxLength;
    }

    public RewardEncoderKind Kind { get; }

    public IImageTextEncoder Encoder { get; }

    public ImageProcessor Processor { get; }

    /// <summary>Images per forward pass.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Loads encoder, processor and tokenizer from <paramref name="folder"/>.</summary>
    public static RewardModel FromPretrained(string folder)
    {
        var kind = DetectKind(folder);
        var processor = ImageProcessor.Load(folder);
        switch (kind)
        {
            case RewardEncoderKind.Clip:
                var clip = CLIPModel.FromPretrained(folder);
                return new RewardModel(kind, clip, processor, ClipTokenizer.FromPretrained(folder), null, clip.Config.TextConfig.MaxPositionEmbeddings);
            default:
                var align = AlignModel.FromPretrained(folder);
                return new RewardModel(kind, align, processor, null, BertWordPieceTokenizer.FromFolder(folder), 0);
        }
    }

    /// <summary>The family of a transformers folder: <c>model_type</c> "clip" / "align", else <c>architectures</c>.</summary>
    public static RewardEncoderKind DetectKind(string folder)
    {
        string path = Path.Combine(folder, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder} is not a transformers model folder: it has no config.json.", path);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        string? modelType = root.TryGetProperty("model_type", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        switch (modelType)
        {
            case "clip": return RewardEncoderKind.Clip;
            case "align": return RewardEncoderKind.Align;
        }
        if (root.TryGetProperty("architectures", out var a) && a.ValueKind == JsonValueKind.Array)
            foreach (var arch in a.EnumerateArray().Select(e => e.GetString()))
            {
                if (arch == "CLIPModel") return RewardEncoderKind.Clip;
                if (arch == "AlignModel") return RewardEncoderKind.Align;
            }
        throw new NotSupportedException($"{path}: model_type '{modelType ?? "(none)"}' is not a reward encoder (CLIPModel or AlignModel).");
    }

    /// <summary>pixel_values [N, 3, H, W] as the folder's processor makes them.</summary>
    public Tensor PixelValues(IReadOnlyList<RgbImage> images) => Processor.Preprocess(images);

    /// <summary>The tokenizer call of the reward for this family.</summary>
    public TextInputs Tokenize(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (_clipTokenizer is not null)
        {
            var batch = _clipTokenizer.EncodeBatch(texts, ClipPadding.MaxLength, truncation: true, maxLength: _clipMaxLength);
            return new TextInputs(batch.InputIdsTensor(), batch.AttentionMaskTensor(), null);
        }
        var (ids, mask, types) = _bertTokenizer!.EncodeBatch(texts, AlignMaxLength).ToTensors();
        return new TextInputs(ids, mask, types);
    }

    /// <summary>Unnormalised image features [N, D], in batches of <see cref="BatchSize"/>, without grad.</summary>
    public Tensor ImageFeatures(IReadOnlyList<RgbImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0) throw new ArgumentException("No images.", nameof(images));
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        for (int start = 0; start < images.Count; start += BatchSize)
        {
            var chunk = images.Skip(start).Take(BatchSize).ToList();
            parts.Add(Encoder.ImageFeatures(PixelValues(chunk)));
        }
        return cat(parts, 0).MoveToOuterDisposeScope();
    }

    /// <summary>Unnormalised image features of pixel values already made by <see cref="PixelValues"/>.</summary>
    public Tensor ImageFeatures(Tensor pixelValues)
    {
        using var _ = no_grad();
        return Encoder.ImageFeatures(pixelValues);
    }

    /// <summary>Unnormalised text features [N, D] of the texts as given (clean prompts with <see cref="PromptText"/> first).</summary>
    public Tensor TextFeatures(IReadOnlyList<string> texts)
    {
        using var _ = no_grad();
        using var inputs = Tokenize(texts);
        return TextFeatures(inputs);
    }

    /// <summary>Unnormalised text features of tokenised texts.</summary>
    public Tensor TextFeatures(TextInputs inputs)
    {
        using var _ = no_grad();
        return Encoder.TextFeatures(inputs.InputIds, inputs.AttentionMask, inputs.TokenTypeIds);
    }

    /// <summary>Reads image files as the reference does (Pillow's decode + convert("RGB")), honouring EXIF orientation.</summary>
    public static IReadOnlyList<RgbImage> ReadImages(IEnumerable<string> files) =>
        files.Select(f => ImageFile.ReadRgb(f, applyExifOrientation: true)).ToList();

    public void Dispose() => Encoder.Dispose();
}
