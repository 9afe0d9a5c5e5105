using TorchSharp;
using TorchSharp.Modules;
using Rpo.Diffusion.Models.Blocks;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Unet;

/// <summary>diffusers <c>DownBlock2D</c>: resnets, then an optional stride-2 downsampler; no attention.</summary>
public sealed class DownBlock2D : UNetDownBlock
{
    readonly ModuleList<ResnetBlock2D> resnets;
    readonly ModuleList<Downsample2D>? downsamplers;

    public DownBlock2D(long inChannels, long outChannels, int numLayers, bool addDownsample, long downsamplePadding,
        ResnetOptions options) : base(nameof(DownBlock2D))
    {
        resnets = nn.ModuleList(Enumerable.Range(0, numLayers)
            .Select(i => UNetBlockFactory.Resnet(i == 0 ? inChannels : outChannels, outChannels, options)).ToArray());
        if (addDownsample)
            downsamplers = nn.ModuleList(new Downsample2D(outChannels, outChannels, downsamplePadding, options.Device, options.Dtype));
        RegisterComponents();
    }

    public override int SkipCount => resnets.Count + (downsamplers?.Count ?? 0);

    public override (Tensor Hidden, Tensor[] Skips) forward(Tensor hidden, Tensor temb, Tensor? encoderHiddenStates)
    {
        var skips = new List<Tensor>();
        var x = hidden;
        foreach (var resnet in resnets) { x = resnet.call(x, temb); skips.Add(x); }
        if (downsamplers is not null)
            foreach (var down in downsamplers) { x = down.call(x); skips.Add(x); }
        return (x, skips.ToArray());
    }
}
