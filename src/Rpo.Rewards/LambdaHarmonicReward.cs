using Rpo.Diffusion.Imaging;
using static TorchSharp.torch;

namespace Rpo.Rewards;

/// <summary>The reward of each scored image (all arrays one entry per image).</summary>
/// <param name="Texts">the text each image was scored against (after <see cref="PromptText"/>)</param>
public sealed record RewardScores(IReadOnlyList<string> Texts, double Lambda, float[] SImg, float[] STxt, float[] Reward)
{
    /// <summary>The same images at another λ (s_img and s_txt do not depend on λ, so nothing is encoded again).</summary>
    public RewardScores At(double lambda)
    {
        using var sImg = tensor(SImg);
        using var sTxt = tensor(STxt);
        using var reward = LambdaHarmonicReward.Combine(sImg, sTxt, lambda);
        return this with { Lambda = lambda, Reward = reward.data<float>().ToArray() };
    }
}

/// <summary>
/// The λ-Harmonic reward of RPO (ARCHITECTURE.md step 2; RPO's <c>evaluation_metrics.RewardModel</c>, rtype "mix"):
/// <c>s_img(x) = (mean_r cos(f(x), f(ref_r)) + 1) / 2</c>, <c>s_txt(x, p) = (cos(f(x), f(p')) + 1) / 2</c>,
/// <c>R_λ = 1 / (λ / (s_img + 1e-8) + (1 - λ) / (s_txt + 1e-8))</c>, with λ = 1 giving s_img and λ = 0 giving s_txt
/// directly. Cosines are <c>torch.nn.functional.cosine_similarity</c> (eps 1e-8) of the unnormalised features; all in
/// float32, as the reference's numpy arrays are.
/// </summary>
public sealed class LambdaHarmonicReward
{
    /// <summary>The stabiliser added to each score before its reciprocal.</summary>
    public const double Epsilon = 1e-8;

    /// <summary>cosine_similarity's eps.</summary>
    public const double CosineEps = 1e-8;

    public LambdaHarmonicReward(RewardModel model, PromptText? promptText = null)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        PromptText = promptText ?? PromptText.Default;
    }

    public RewardModel Model { get; }

    public PromptText PromptText { get; }

    /// <summary>Features of the subject's reference images, to score many batches against.</summary>
    public Tensor ReferenceFeatures(IReadOnlyList<RgbImage> references) => Model.ImageFeatures(references);

    /// <summary>Scores each image against the references and its prompt (one prompt for all, or one per image).</summary>
    public RewardScores Score(IReadOnlyList<RgbImage> references, IReadOnlyList<RgbImage> images, IReadOnlyList<string> prompts, double lambda)
    {
        using var scope = NewDisposeScope();
        return Score(ReferenceFeatures(references), images, prompts, lambda);
    }

    /// <inheritdoc cref="Score(IReadOnlyList{RgbImage}, IReadOnlyList{RgbImage}, IReadOnlyList{string}, double)"/>
    public RewardScores Score(Tensor referenceFeatures, IReadOnlyList<RgbImage> images, IReadOnlyList<string> prompts, double lambda)
    {
        ValidateLambda(lambda);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(prompts);
        if (images.Count == 0) throw new ArgumentException("No images to score.", nameof(images));
        if (prompts.Count != 1 && prompts.Count != images.Count)
            throw new ArgumentException($"Give one prompt for all images or one per image: {prompts.Count} prompts for {images.Count} images.", nameof(prompts));
        var texts = prompts.Select(PromptText.Clean).ToList();
        using var scope = NewDisposeScope();
        var imageFeatures = Model.ImageFeatures(images);
        var textFeatures = Model.TextFeatures(texts);
        if (texts.Count == 1) textFeatures = textFeatures.expand(images.Count, -1);
        var sImg = ImageScore(referenceFeatures, imageFeatures);
        var sTxt = TextScore(textFeatures, imageFeatures);
        var reward = Combine(sImg, sTxt, lambda);
        var perImageTexts = texts.Count == 1 ? Enumerable.Repeat(texts[0], images.Count).ToList() : texts;
        return new RewardScores(perImageTexts, lambda, ToArray(sImg), ToArray(sTxt), ToArray(reward));
    }

    /// <summary>cos_i2i: [R, D] references x [N, D] images -> [R, N] cosine similarities.</summary>
    public static Tensor CosineMatrix(Tensor referenceFeatures, Tensor imageFeatures)
    {
        CheckFeatures(referenceFeatures, imageFeatures);
        return nn.functional.cosine_similarity(referenceFeatures.unsqueeze(1), imageFeatures.unsqueeze(0), dim: -1, eps: CosineEps);
    }

    /// <summary>s_img [N]: the mean over references of each image's cosine, mapped from [-1, 1] to [0, 1].</summary>
    public static Tensor ImageScore(Tensor referenceFeatures, Tensor imageFeatures)
    {
        using var scope = NewDisposeScope();
        return ((CosineMatrix(referenceFeatures, imageFeatures).mean([0]) + 1) / 2).MoveToOuterDisposeScope();
    }

    /// <summary>cos_t2i [N]: text j with image j.</summary>
    public static Tensor TextCosine(Tensor textFeatures, Tensor imageFeatures)
    {
        CheckFeatures(textFeatures, imageFeatures);
        if (textFeatures.shape[0] != imageFeatures.shape[0])
            throw new ArgumentException($"{textFeatures.shape[0]} text features for {imageFeatures.shape[0]} images: they pair row by row.");
        return nn.functional.cosine_similarity(textFeatures, imageFeatures, dim: -1, eps: CosineEps);
    }

    /// <summary>s_txt [N]: (cos(text_j, image_j) + 1) / 2.</summary>
    public static Tensor TextScore(Tensor textFeatures, Tensor imageFeatures)
    {
        using var scope = NewDisposeScope();
        return ((TextCosine(textFeatures, imageFeatures) + 1) / 2).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// R_λ: s_img for λ = 1 and s_txt for λ = 0 (copies, not through the formula); otherwise the weighted harmonic
    /// mean with the 1e-8 stabiliser. Divisions are float32 divisions of float32(λ), as numpy's.
    /// </summary>
    public static Tensor Combine(Tensor sImg, Tensor sTxt, double lambda)
    {
        ValidateLambda(lambda);
        if (!sImg.shape.SequenceEqual(sTxt.shape))
            throw new ArgumentException($"s_img [{string.Join(", ", sImg.shape)}] and s_txt [{string.Join(", ", sTxt.shape)}] differ in shape.");
        if (lambda == 1) return sImg.clone();
        if (lambda == 0) return sTxt.clone();
        using var scope = NewDisposeScope();
        var imageTerm = full_like(sImg, lambda).div(sImg + Epsilon);
        var textTerm = full_like(sTxt, 1 - lambda).div(sTxt + Epsilon);
        var sum = imageTerm + textTerm;
        return ones_like(sum).div(sum).MoveToOuterDisposeScope();
    }

    /// <summary>The preference label's probability σ(R(x_ref) − R(x_gen)) (label ~ Bernoulli of it).</summary>
    public static Tensor PreferenceProbability(Tensor referenceReward, Tensor generatedReward) => (referenceReward - generatedReward).sigmoid();

    /// <summary>RPO's pairing rule: generated image j goes with reference image j mod n.</summary>
    public static int PairedReference(int candidate, int referenceCount)
    {
        if (referenceCount <= 0) throw new ArgumentOutOfRangeException(nameof(referenceCount), referenceCount, "There must be at least one reference image.");
        return candidate % referenceCount;
    }

    /// <summary>
    /// The reference side of each preference pair: reference r = j mod n scored as an image against all references
    /// (itself included) and against prompt j's text features. [N] each.
    /// </summary>
    public static (Tensor Index, Tensor SImg, Tensor STxt) PairReferenceScores(Tensor referenceFeatures, Tensor textFeatures)
    {
        using var scope = NewDisposeScope();
        int n = (int)textFeatures.shape[0], refs = (int)referenceFeatures.shape[0];
        var index = tensor(Enumerable.Range(0, n).Select(j => (long)PairedReference(j, refs)).ToArray());
        var paired = referenceFeatures.index_select(0, index);
        var sImg = ImageScore(referenceFeatures, referenceFeatures).index_select(0, index);
        var sTxt = TextScore(textFeatures, paired);
        return (index.MoveToOuterDisposeScope(), sImg.MoveToOuterDisposeScope(), sTxt.MoveToOuterDisposeScope());
    }

    // Features may live on an accelerator; the scores come back as plain float32 values.
    static float[] ToArray(Tensor t) => t.to_type(ScalarType.Float32).cpu().data<float>().ToArray();

    public static void ValidateLambda(double lambda)
    {
        if (!(lambda >= 0 && lambda <= 1))
            throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "λ must lie in [0, 1].");
    }

    static void CheckFeatures(Tensor a, Tensor b)
    {
        if (a.dim() != 2 || b.dim() != 2 || a.shape[1] != b.shape[1])
            throw new ArgumentException($"Features must be [N, D] with one D: got [{string.Join(", ", a.shape)}] and [{string.Join(", ", b.shape)}].");
    }
}
