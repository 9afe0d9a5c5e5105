using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Unet;

/// <summary>What every resnet of a UNet block shares (from the UNet config), and where the block's tensors live.</summary>
public sealed record ResnetOptions(long TembChannels, int Groups, double Eps, string ActFn, double Dropout,
    double OutputScaleFactor, Device? Device = null, ScalarType? Dtype = null);

/// <summary>The transformer settings of a cross-attention block; <paramref name="Heads"/> is the head count (the head size is channels / heads).</summary>
public sealed record CrossAttentionOptions(long Heads, long CrossAttentionDim, int TransformerLayers,
    bool UseLinearProjection, bool OnlyCrossAttention, bool UpcastAttention);
