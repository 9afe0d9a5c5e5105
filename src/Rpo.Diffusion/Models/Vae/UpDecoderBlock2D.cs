using TorchSharp;
using TorchSharp.Modules;
using Rpo.Diffusion.Models.Blocks;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Vae;

/// <summary>diffusers <c>UpDecoderBlock2D</c>: resnets without time embedding or skips, then an optional nearest-x2 upsampler.</summary>
public sealed class UpDecoderBlock2D : nn.Module<Tensor, Tensor>
{
    readonly ModuleList<ResnetBlock2D> resnets;
    readonly ModuleList<Upsample2D>? upsamplers;

    public UpDecoderBlock2D(long inChannels, long outChannels, int numLayers, bool addUpsample, int groups, double eps,
        string actFn, Device? device = null, ScalarType? dtype = null) : base(nameof(UpDecoderBlock2D))
    {
        resnets = nn.ModuleList(Enumerable.Range(0, numLayers)
            .Select(i => new ResnetBlock2D(i == 0 ? inChannels : outChannels, outChannels, null, groups, eps, actFn, device: device, dtype: dtype))
            .ToArray());
        if (addUpsample)
            upsamplers = nn.ModuleList(new Upsample2D(outChannels, outChannels, device, dtype));
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var x = hidden;
        foreach (var resnet in resnets) x = resnet.call(x, null);
        if (upsamplers is not null)
            foreach (var up in upsamplers) x = up.call(x, null);
        return x.MoveToOuterDisposeScope();
    }
}
