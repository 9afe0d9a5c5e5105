using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Blocks;

/// <summary>
/// diffusers <c>BasicTransformerBlock</c> (norm_type "layer_norm", GEGLU feed-forward), pre-LN with residuals:
/// <c>x += attn1(norm1(x))</c> (self attention, or cross attention when <c>only_cross_attention</c>),
/// <c>x += attn2(norm2(x), context)</c>, <c>x += ff(norm3(x))</c>.
/// </summary>
public sealed class BasicTransformerBlock : nn.Module<Tensor, Tensor?, Tensor>
{
    readonly LayerNorm norm1;
    readonly Attention attn1;
    readonly LayerNorm norm2;
    readonly Attention attn2;
    readonly LayerNorm norm3;
    readonly FeedForward ff;
    readonly bool onlyCrossAttention;

    public BasicTransformerBlock(long dim, long heads, long headDim, long crossAttentionDim, double dropout = 0.0,
        bool onlyCrossAttention = false, bool upcastAttention = false, bool attentionBias = false, double normEps = 1e-5,
        Device? device = null, ScalarType? dtype = null) : base(nameof(BasicTransformerBlock))
    {
        norm1 = Layers.LayerNorm(dim, normEps, device, dtype);
        attn1 = new Attention(dim, onlyCrossAttention ? crossAttentionDim : null, heads, headDim, dropout,
            bias: attentionBias, upcast: upcastAttention, device: device, dtype: dtype);
        norm2 = Layers.LayerNorm(dim, normEps, device, dtype);
        attn2 = new Attention(dim, crossAttentionDim, heads, headDim, dropout,
            bias: attentionBias, upcast: upcastAttention, device: device, dtype: dtype);
        norm3 = Layers.LayerNorm(dim, normEps, device, dtype);
        ff = new FeedForward(dim, dropout: dropout, device: device, dtype: dtype);
        this.onlyCrossAttention = onlyCrossAttention;
        RegisterComponents();
    }

    public override Tensor forward(Tensor hiddenStates, Tensor? encoderHiddenStates)
    {
        using var scope = NewDisposeScope();
        var x = attn1.call(norm1.call(hiddenStates), onlyCrossAttention ? encoderHiddenStates : null) + hiddenStates;
        x = attn2.call(norm2.call(x), encoderHiddenStates) + x;
        x = ff.call(norm3.call(x)) + x;
        return x.MoveToOuterDisposeScope();
    }
}
