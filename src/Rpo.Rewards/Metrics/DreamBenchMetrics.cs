using static TorchSharp.torch;

namespace Rpo.Rewards.Metrics;

/// <summary>DreamBench's three figures for one subject (the paper's Table 1 columns).</summary>
/// <param name="Dino">mean DINO ViT-S/16 CLS cosine over all (reference, generated) pairs</param>
/// <param name="ClipI">mean CLIP image-feature cosine over all (reference, generated) pairs</param>
/// <param name="ClipT">torchmetrics clip_score / 100 of generated image k with prompt k</param>
public sealed record DreamBenchScores(double Dino, double ClipI, double ClipT, int ReferenceCount, int GeneratedCount);

/// <summary>
/// The metric formulas as RPO computes them: <c>utils.cosine_similarity</c> (numpy: <c>sum((x/|x|) * (y/|y|))</c>)
/// averaged over every (reference, generated) pair for DINO and CLIP-I, and torchmetrics' <c>clip_score</c> (1.4.0)
/// divided by 100 for CLIP-T, which clamps the <em>mean</em> of 100·cos at 0, not each pair.
/// </summary>
public static class DreamBenchMetrics
{
    /// <summary>[R, D] x [G, D] -> [R, G]: the numpy cosine of every pair, each vector divided by its norm first.</summary>
    public static Tensor CosineMatrix(Tensor referenceFeatures, Tensor generatedFeatures)
    {
        if (referenceFeatures.dim() != 2 || generatedFeatures.dim() != 2 || referenceFeatures.shape[1] != generatedFeatures.shape[1])
            throw new ArgumentException($"Features must be [N, D] with one D: got [{string.Join(", ", referenceFeatures.shape)}] and [{string.Join(", ", generatedFeatures.shape)}].");
        using var scope = NewDisposeScope();
        var r = referenceFeatures / referenceFeatures.norm(-1, true, 2);
        var g = generatedFeatures / generatedFeatures.norm(-1, true, 2);
        return (r.unsqueeze(1) * g.unsqueeze(0)).sum(-1).MoveToOuterDisposeScope();
    }

    /// <summary>The plain mean of a similarity matrix (DINO / CLIP-I score).</summary>
    public static double MeanOfPairs(Tensor similarity)
    {
        using var scope = NewDisposeScope();
        return similarity.to_type(ScalarType.Float32).mean().item<float>();
    }

    /// <summary>torchmetrics' per-pair score: 100 · &lt;img_k/|img_k|, txt_k/|txt_k|&gt; ([N]).</summary>
    public static Tensor ClipScorePerImage(Tensor imageFeatures, Tensor textFeatures)
    {
        if (!imageFeatures.shape.SequenceEqual(textFeatures.shape))
            throw new ArgumentException($"Image features [{string.Join(", ", imageFeatures.shape)}] and text features [{string.Join(", ", textFeatures.shape)}] pair row by row.");
        using var scope = NewDisposeScope();
        var img = imageFeatures / imageFeatures.norm(-1, true, 2);
        var txt = textFeatures / textFeatures.norm(-1, true, 2);
        return (100 * (img * txt).sum(-1)).MoveToOuterDisposeScope();
    }

    /// <summary>CLIP-T: <c>max(mean_k score_k, 0) / 100</c> (the clamp is on the mean, as torchmetrics' code does).</summary>
    public static double ClipT(Tensor perImageScores)
    {
        using var scope = NewDisposeScope();
        var mean = perImageScores.mean();
        return maximum(mean, zeros_like(mean)).item<float>() / 100.0;
    }
}
