using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders;

/// <summary>
/// The attention arithmetic of transformers' eager BERT/ViT self-attention, in its operation order: scores =
/// q·kᵀ, then divided by √head_size, plus the additive mask, softmax, times v. Kept in this order (not
/// scaled_dot_product_attention, which scales q first) so float32 rounding follows the reference.
/// </summary>
internal static class EagerAttention
{
    /// <summary>[N, L, H·d] projections -> [N, H, L, d].</summary>
    public static Tensor SplitHeads(Tensor x, long heads)
    {
        var n = x.shape[0];
        var l = x.shape[1];
        return x.view(n, l, heads, x.shape[2] / heads).permute(0, 2, 1, 3);
    }

    /// <summary>q, k, v as [N, H, L, d]; additiveMask broadcastable to [N, H, L, L] or null -> [N, L, H·d].</summary>
    public static Tensor Compute(Tensor q, Tensor k, Tensor v, Tensor? additiveMask)
    {
        var headSize = q.shape[3];
        var scores = matmul(q, k.transpose(-1, -2)) / Math.Sqrt(headSize);
        if (additiveMask is not null)
            scores = scores + additiveMask;
        var probs = nn.functional.softmax(scores, -1);
        var context = matmul(probs, v).permute(0, 2, 1, 3).contiguous();
        return context.view(context.shape[0], context.shape[1], context.shape[2] * context.shape[3]);
    }
}
