using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Clip;

/// <summary>
/// The additive masks of transformers' <c>modeling_attn_mask_utils</c>: 0 where attention is allowed, the dtype's
/// most negative finite value where it is not (so a row whose every key is masked still softmaxes to finite values).
/// </summary>
public static class ClipAttentionMasks
{
    /// <summary><c>_create_4d_causal_attention_mask</c>: [1, 1, tokens, tokens], masking keys after the query.</summary>
    public static Tensor Causal(long tokens, ScalarType dtype, Device device) =>
        full(tokens, tokens, MinValue(dtype), dtype: dtype, device: device).triu(1).unsqueeze(0).unsqueeze(0);

    /// <summary><c>_prepare_4d_attention_mask</c>: a [batch, tokens] mask (1 keep, 0 pad) as [batch, 1, tokens, tokens].</summary>
    public static Tensor Padding(Tensor attentionMask, ScalarType dtype)
    {
        if (attentionMask.dim() != 2) throw new ArgumentException($"attention_mask must be [batch, tokens], not {string.Join("x", attentionMask.shape)}.", nameof(attentionMask));
        long bsz = attentionMask.shape[0], src = attentionMask.shape[1];
        var inverted = 1.0 - attentionMask.unsqueeze(1).unsqueeze(1).expand(bsz, 1, src, src).to_type(dtype);
        return inverted.masked_fill(inverted.to_type(ScalarType.Bool), MinValue(dtype));
    }

    /// <summary><c>torch.finfo(dtype).min</c>.</summary>
    public static double MinValue(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => float.MinValue,
        ScalarType.Float64 => double.MinValue,
        ScalarType.Float16 => -65504.0,
        ScalarType.BFloat16 => -3.3895313892515355e38,
        _ => throw new ArgumentException($"Attention masks are floating point, not {dtype}.", nameof(dtype)),
    };
}
