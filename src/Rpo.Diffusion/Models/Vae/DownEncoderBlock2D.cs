using TorchSharp;
using TorchSharp.Modules;
using Rpo.Diffusion.Models.Blocks;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Vae;

/// <summary>diffusers <c>DownEncoderBlock2D</c>: resnets without time embedding, then an optional downsampler (padding 0: pad right/bottom).</summary>
public sealed class DownEncoderBlock2D : nn.Module<Tensor, Tensor>
{
    readonly ModuleList<ResnetBlock2D> resnets;
    readonly ModuleList<Downsample2D>? downsamplers;

    public DownEncoderBlock2D(long inChannels, long outChannels, int numLayers, bool addDownsample, int groups, double eps,
        string actFn, Device? device = null, ScalarType? dtype = null) : base(nameof(DownEncoderBlock2D))
    {
        resnets = nn.ModuleList(Enumerable.Range(0, numLayers)
            .Select(i => new ResnetBlock2D(i == 0 ? inChannels : outChannels, outChannels, null, groups, eps, actFn, device: device, dtype: dtype))
            .ToArray());
        if (addDownsample)
            downsamplers = nn.ModuleList(new Downsample2D(outChannels, outChannels, padding: 0, device, dtype));
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var x = hidden;
        foreach (var resnet in resnets) x = resnet.call(x, null);
        if (downsamplers is not null)
            foreach (var down in downsamplers) x = down.call(x);
        return x.MoveToOuterDisposeScope();
    }
}
