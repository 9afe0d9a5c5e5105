using Rpo.Diffusion.Imaging;
using Rpo.Diffusion.Tokenizers;
using Rpo.Rewards.Encoders.Clip;
using Rpo.Rewards.Encoders.Vit;
using Rpo.Rewards.Processing;
using static TorchSharp.torch;

namespace Rpo.Rewards.Metrics;

/// <summary>CLIP-T's text inputs: padded to the longest prompt, then cut to max_position_embeddings.</summary>
/// <param name="UntruncatedLength">the padded length before the cut</param>
public sealed record ClipTTextInputs(Tensor InputIds, Tensor AttentionMask, int UntruncatedLength) : IDisposable
{
    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
    }
}

/// <summary>
/// DreamBench evaluation of one subject: DINO (ViTModel CLS token, ViT processor), CLIP-I (CLIPModel image features,
/// CLIP processor) and CLIP-T (torchmetrics' clip_score with the same CLIP model and its tokenizer). Models are read from
/// transformers folders (e.g. facebook/dino-vits16 and openai/clip-vit-base-patch16), processing and tokenisation from
/// the same folders; all encoding is batched and without grad. Prompts are cleaned with <see cref="PromptText"/>
/// (identifier stripped by default, RPO's behaviour with <c>PaperCompat</c>).
/// </summary>
public sealed class DreamBenchEvaluator : IDisposable
{
    public DreamBenchEvaluator(CLIPModel clip, ImageProcessor clipProcessor, ClipTokenizer clipTokenizer, ViTModel dino, ImageProcessor dinoProcessor, PromptText? promptText = null)
    {
        Clip = clip;
        ClipProcessor = clipProcessor;
        ClipTokenizer = clipTokenizer;
        Dino = dino;
        DinoProcessor = dinoProcessor;
        PromptText = promptText ?? PromptText.Default;
    }

    /// <summary>Loads CLIP (model, processor, tokenizer) and DINO (model without pooler, processor) folders.</summary>
    public static DreamBenchEvaluator FromPretrained(string clipFolder, string dinoFolder, PromptText? promptText = null)
    {
        var clip = CLIPModel.FromPretrained(clipFolder);
        try
        {
            return new DreamBenchEvaluator(clip, ImageProcessor.Load(clipFolder), ClipTokenizer.FromPretrained(clipFolder),
                ViTModel.FromPretrained(dinoFolder), ImageProcessor.Load(dinoFolder), promptText);
        }
        catch
        {
            clip.Dispose();
            throw;
        }
    }

    public CLIPModel Clip { get; }
    public ImageProcessor ClipProcessor { get; }
    public ClipTokenizer ClipTokenizer { get; }
    public ViTModel Dino { get; }
    public ImageProcessor DinoProcessor { get; }
    public PromptText PromptText { get; }

    /// <summary>Images per forward pass.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>
    /// The three metrics for generated images of one subject. <paramref name="prompts"/>: one per generated image
    /// (image k was made from prompt k), or one for all.
    /// </summary>
    public DreamBenchScores Evaluate(IReadOnlyList<RgbImage> references, IReadOnlyList<RgbImage> generated, IReadOnlyList<string> prompts)
    {
        ArgumentNullException.ThrowIfNull(references);
        ArgumentNullException.ThrowIfNull(generated);
        ArgumentNullException.ThrowIfNull(prompts);
        if (references.Count == 0 || generated.Count == 0) throw new ArgumentException("DreamBench metrics need reference and generated images.");
        if (prompts.Count != 1 && prompts.Count != generated.Count)
            throw new ArgumentException($"Give one prompt for all generated images or one per image: {prompts.Count} prompts for {generated.Count} images.", nameof(prompts));
        var texts = prompts.Select(PromptText.Clean).ToList();
        if (texts.Count == 1 && generated.Count > 1) texts = Enumerable.Repeat(texts[0], generated.Count).ToList();

        using var scope = NewDisposeScope();
        double dino = DreamBenchMetrics.MeanOfPairs(DreamBenchMetrics.CosineMatrix(DinoFeatures(references), DinoFeatures(generated)));
        var clipGenerated = ClipImageFeatures(generated);
        double clipI = DreamBenchMetrics.MeanOfPairs(DreamBenchMetrics.CosineMatrix(ClipImageFeatures(references), clipGenerated));
        using var inputs = ClipTTokenize(texts);
        double clipT = DreamBenchMetrics.ClipT(DreamBenchMetrics.ClipScorePerImage(clipGenerated, ClipTextFeatures(inputs)));
        return new DreamBenchScores(dino, clipI, clipT, references.Count, generated.Count);
    }

    /// <summary><see cref="Evaluate(IReadOnlyList{RgbImage}, IReadOnlyList{RgbImage}, IReadOnlyList{string})"/> from image files.</summary>
    public DreamBenchScores Evaluate(IEnumerable<string> referenceFiles, IEnumerable<string> generatedFiles, IReadOnlyList<string> prompts) =>
        Evaluate(RewardModel.ReadImages(referenceFiles), RewardModel.ReadImages(generatedFiles), prompts);

    /// <summary>Generated images as the pipeline's decoded [N, 3, H, W] tensor in [-1, 1] (converted to 8 bits as saved PNGs are).</summary>
    public DreamBenchScores Evaluate(IReadOnlyList<RgbImage> references, Tensor generatedSigned, IReadOnlyList<string> prompts) =>
        Evaluate(references, ImageTensors.FromSignedTensor(generatedSigned), prompts);

    /// <summary>DINO features: CLS of the last hidden state [N, hidden].</summary>
    public Tensor DinoFeatures(IReadOnlyList<RgbImage> images) => Batched(images, DinoProcessor, Dino.ClsFeatures);

    /// <summary>DINO features of processed pixel values.</summary>
    public Tensor DinoFeatures(Tensor pixelValues)
    {
        using var _ = no_grad();
        return Dino.ClsFeatures(pixelValues);
    }

    /// <summary>CLIP image features (get_image_features, unnormalised) [N, projection_dim].</summary>
    public Tensor ClipImageFeatures(IReadOnlyList<RgbImage> images) => Batched(images, ClipProcessor, Clip.GetImageFeatures);

    /// <summary>CLIP image features of processed pixel values.</summary>
    public Tensor ClipImageFeatures(Tensor pixelValues)
    {
        using var _ = no_grad();
        return Clip.GetImageFeatures(pixelValues);
    }

    /// <summary>
    /// CLIPProcessor(text=..., padding=True) as clip_score calls it: padded to the longest prompt with the pad token, no
    /// tokenizer truncation; a batch longer than max_position_embeddings is cut to that many columns (a long prompt then
    /// loses its EOS, as in the reference).
    /// </summary>
    public ClipTTextInputs ClipTTokenize(IReadOnlyList<string> texts)
    {
        var batch = ClipTokenizer.EncodeBatch(texts, ClipPadding.Longest, truncation: false);
        int length = batch.InputIds.Count == 0 ? 0 : batch.InputIds[0].Length;
        int max = Clip.Config.TextConfig.MaxPositionEmbeddings;
        var ids = batch.InputIdsTensor();
        var mask = batch.AttentionMaskTensor();
        if (length > max)
        {
            var cutIds = ids[.., ..max].contiguous();
            var cutMask = mask[.., ..max].contiguous();
            ids.Dispose();
            mask.Dispose();
            (ids, mask) = (cutIds, cutMask);
        }
        return new ClipTTextInputs(ids, mask, length);
    }

    /// <summary>CLIP text features (get_text_features, unnormalised) of CLIP-T's inputs.</summary>
    public Tensor ClipTextFeatures(ClipTTextInputs inputs)
    {
        using var _ = no_grad();
        return Clip.GetTextFeatures(inputs.InputIds, inputs.AttentionMask);
    }

    Tensor Batched(IReadOnlyList<RgbImage> images, ImageProcessor processor, Func<Tensor, Tensor> encode)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        for (int start = 0; start < images.Count; start += BatchSize)
            parts.Add(encode(processor.Preprocess(images.Skip(start).Take(BatchSize).ToList())));
        return cat(parts, 0).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        Clip.Dispose();
        Dino.Dispose();
    }
}
