using TorchSharp;
using TorchSharp.Modules;
using Rpo.Diffusion.Models.Blocks;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Unet;

/// <summary>diffusers <c>CrossAttnUpBlock2D</c>: per layer, concatenate the next skip, resnet, Transformer2DModel; then an optional upsampler.</summary>
public sealed class CrossAttnUpBlock2D : UNetUpBlock
{
    readonly ModuleList<Transformer2DModel> attentions;
    readonly ModuleList<ResnetBlock2D> resnets;
    readonly ModuleList<Upsample2D>? upsamplers;

    public CrossAttnUpBlock2D(long inChannels, long prevOutputChannels, long outChannels, int numLayers, bool addUpsample,
        ResnetOptions options, CrossAttentionOptions attention) : base(nameof(CrossAttnUpBlock2D))
    {
        resnets = nn.ModuleList(Enumerable.Range(0, numLayers)
            .Select(i => UNetBlockFactory.Resnet(UNetBlockFactory.UpResnetInChannels(i, numLayers, inChannels, prevOutputChannels, outChannels),
                outChannels, options)).ToArray());
        attentions = nn.ModuleList(Enumerable.Range(0, numLayers)
            .Select(_ => UNetBlockFactory.Transformer(outChannels, options, attention)).ToArray());
        if (addUpsample)
            upsamplers = nn.ModuleList(new Upsample2D(outChannels, outChannels, options.Device, options.Dtype));
        RegisterComponents();
    }

    public override int SkipCount => resnets.Count;

    public override bool HasUpsampler => upsamplers is not null;

    public override Tensor forward(Tensor hidden, Tensor[] skips, Tensor temb, Tensor? encoderHiddenStates, long[]? upsampleSize)
    {
        if (skips.Length != resnets.Count)
            throw new ArgumentException($"{nameof(CrossAttnUpBlock2D)} takes {resnets.Count} skips, got {skips.Length}.");
        var x = hidden;
        for (int i = 0; i < resnets.Count; i++)
        {
            x = resnets[i].call(cat([x, skips[^(i + 1)]], dim: 1), temb);
            x = attentions[i].call(x, encoderHiddenStates);
        }
        if (upsamplers is not null)
            foreach (var up in upsamplers) x = up.call(x, upsampleSize);
        return x;
    }
}
