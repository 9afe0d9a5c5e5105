using TorchSharp;
using TorchSharp.Modules;
using Rpo.Diffusion.Models.Blocks;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Unet;

/// <summary>diffusers <c>CrossAttnDownBlock2D</c>: (resnet → Transformer2DModel) per layer, then an optional downsampler.</summary>
public sealed class CrossAttnDownBlock2D : UNetDownBlock
{
    readonly ModuleList<Transformer2DModel> attentions;
    readonly ModuleList<ResnetBlock2D> resnets;
    readonly ModuleList<Downsample2D>? downsamplers;

    public CrossAttnDownBlock2D(long inChannels, long outChannels, int numLayers, bool addDownsample, long downsamplePadding,
        ResnetOptions options, CrossAttentionOptions attention) : base(nameof(CrossAttnDownBlock2D))
    {
        resnets = nn.ModuleList(Enumerable.Range(0, numLayers)
            .Select(i => UNetBlockFactory.Resnet(i == 0 ? inChannels : outChannels, outChannels, options)).ToArray());
        attentions = nn.ModuleList(Enumerable.Range(0, numLayers)
            .Select(_ => UNetBlockFactory.Transformer(outChannels, options, attention)).ToArray());
        if (addDownsample)
            downsamplers = nn.ModuleList(new Downsample2D(outChannels, outChannels, downsamplePadding, options.Device, options.Dtype));
        RegisterComponents();
    }

    public override int SkipCount => resnets.Count + (downsamplers?.Count ?? 0);

    public override (Tensor Hidden, Tensor[] Skips) forward(Tensor hidden, Tensor temb, Tensor? encoderHiddenStates)
    {
        var skips = new List<Tensor>();
        var x = hidden;
        for (int i = 0; i < resnets.Count; i++)
        {
            x = attentions[i].call(resnets[i].call(x, temb), encoderHiddenStates);
            skips.Add(x);
        }
        if (downsamplers is not null)
            foreach (var down in downsamplers) { x = down.call(x); skips.Add(x); }
        return (x, skips.ToArray());
    }
}
