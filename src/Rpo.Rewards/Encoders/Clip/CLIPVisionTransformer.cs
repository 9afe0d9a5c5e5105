using Rpo.Diffusion.Models.Clip;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders.Clip;

/// <summary>What the CLIP vision tower returns (transformers' <c>BaseModelOutputWithPooling</c>).</summary>
/// <param name="LastHiddenState">[N, 1 + patches, hidden]: the encoder output (no final norm on it)</param>
/// <param name="PoolerOutput">[N, hidden]: <c>post_layernorm</c> of the class token</param>
public sealed record CLIPVisionOutput(Tensor LastHiddenState, Tensor PoolerOutput);

/// <summary>
/// transformers' <c>CLIPVisionTransformer</c>: embeddings, <c>pre_layrnorm</c> (the reference's spelling, which is the
/// checkpoint key), the shared CLIP encoder without any mask, and <c>post_layernorm</c> on the class token.
/// </summary>
public sealed class CLIPVisionTransformer : nn.Module
{
    private readonly CLIPVisionEmbeddings embeddings;
    private readonly LayerNorm pre_layrnorm;
    private readonly CLIPEncoder encoder;
    private readonly LayerNorm post_layernorm;

    public CLIPVisionTransformer(CLIPVisionConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(CLIPVisionTransformer))
    {
        embeddings = new CLIPVisionEmbeddings(config, device, dtype);
        pre_layrnorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device, dtype: dtype);
        encoder = new CLIPEncoder(config, device, dtype);
        post_layernorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device, dtype: dtype);
        RegisterComponents();
    }

    public CLIPVisionOutput forward(Tensor pixelValues)
    {
        var hidden = pre_layrnorm.forward(embeddings.forward(pixelValues));
        var last = encoder.forward(hidden).LastHiddenState;
        var pooled = post_layernorm.forward(last[.., 0, ..]);
        return new CLIPVisionOutput(last, pooled);
    }
}
