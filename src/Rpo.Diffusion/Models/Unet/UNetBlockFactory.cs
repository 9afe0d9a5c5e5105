using Rpo.Diffusion.Models.Blocks;

namespace Rpo.Diffusion.Models.Unet;

static class UNetBlockFactory
{
    public static ResnetBlock2D Resnet(long inChannels, long outChannels, ResnetOptions o) =>
        new(inChannels, outChannels, o.TembChannels, o.Groups, o.Eps, o.ActFn, o.Dropout, o.OutputScaleFactor, o.Device, o.Dtype);

    /// <summary>
    /// The transformer of a cross-attention block: head size = channels / heads, GroupNorm groups = the resnets'.
    /// The UNet's dropout reaches only the resnets; diffusers builds these transformers with dropout 0.
    /// </summary>
    public static Transformer2DModel Transformer(long channels, ResnetOptions o, CrossAttentionOptions a) =>
        new(a.Heads, channels / a.Heads, channels, a.TransformerLayers, o.Groups, a.CrossAttentionDim, a.UseLinearProjection,
            a.OnlyCrossAttention, a.UpcastAttention, dropout: 0.0, o.Device, o.Dtype);

    /// <summary>
    /// Input width of up-block resnet <paramref name="i"/>: the hidden state (the incoming one for the first resnet,
    /// else this block's width) plus the skip (the stage below's width for the last resnet, else this block's width).
    /// </summary>
    public static long UpResnetInChannels(int i, int numLayers, long inChannels, long prevOutputChannels, long outChannels)
    {
        long skip = i == numLayers - 1 ? inChannels : outChannels;
        long hidden = i == 0 ? prevOutputChannels : outChannels;
        return hidden + skip;
    }
}
