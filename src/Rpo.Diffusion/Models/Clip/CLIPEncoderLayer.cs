using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Clip;

/// <summary>transformers' <c>CLIPEncoderLayer</c>: pre-LN self-attention and MLP, each added to its input.</summary>
public sealed class CLIPEncoderLayer : nn.Module
{
    readonly CLIPAttention self_attn;
    readonly LayerNorm layer_norm1;
    readonly CLIPMLP mlp;
    readonly LayerNorm layer_norm2;

    public CLIPEncoderLayer(IClipEncoderConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(CLIPEncoderLayer))
    {
        self_attn = new CLIPAttention(config, device, dtype);
        layer_norm1 = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device, dtype: dtype);
        mlp = new CLIPMLP(config, device, dtype);
        layer_norm2 = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device, dtype: dtype);
        RegisterComponents();
    }

    public Tensor forward(Tensor hiddenStates, Tensor? attentionMask = null, Tensor? causalAttentionMask = null)
    {
        var residual = hiddenStates;
        var h = self_attn.forward(layer_norm1.forward(hiddenStates), attentionMask, causalAttentionMask);
        h = residual + h;
        residual = h;
        h = mlp.forward(layer_norm2.forward(h));
        return residual + h;
    }
}
