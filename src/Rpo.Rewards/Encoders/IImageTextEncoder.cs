using TorchSharp;

namespace Rpo.Rewards.Encoders;

/// <summary>
/// A dual image/text encoder as the λ-Harmonic reward uses it (ALIGN in the paper, CLIP as an option): both
/// towers map into one embedding space of width <see cref="EmbeddingDim"/>. Features come back unnormalised,
/// exactly as <c>get_image_features</c> / <c>get_text_features</c> return them; the reward normalises through its
/// cosine. Tokenisation stays outside: each encoder family has its own tokenizer.
/// </summary>
public interface IImageTextEncoder : IDisposable
{
    /// <summary>Width D of the shared embedding space.</summary>
    long EmbeddingDim { get; }

    /// <summary>[N, C, H, W] pre-processed pixels -> [N, D] image features.</summary>
    torch.Tensor ImageFeatures(torch.Tensor pixelValues);

    /// <summary>
    /// [N, L] int64 token ids (with the family's special tokens and padding already applied) -> [N, D] text
    /// features. <paramref name="attentionMask"/> is [N, L] (1 = token, 0 = padding; null = all tokens);
    /// <paramref name="tokenTypeIds"/> is for BERT-style towers ([N, L], null = all zero) and must be null or all
    /// zero for towers without segment embeddings.
    /// </summary>
    torch.Tensor TextFeatures(torch.Tensor inputIds, torch.Tensor? attentionMask = null, torch.Tensor? tokenTypeIds = null);
}
