using TorchSharp;
using TorchSharp.Modules;
using Rpo.Diffusion.Models.Blocks;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Vae;

/// <summary>
/// diffusers <c>UNetMidBlock2D</c> as the VAE uses it (no time embedding): resnet, then (attention → resnet) with a
/// single-head self-attention over all pixels (head size = channels), input GroupNorm, residual.
/// </summary>
public sealed class UNetMidBlock2D : nn.Module<Tensor, Tensor>
{
    readonly ModuleList<Attention>? attentions;
    readonly ModuleList<ResnetBlock2D> resnets;

    public UNetMidBlock2D(long channels, int groups, double eps, string actFn, bool addAttention = true, int numLayers = 1,
        Device? device = null, ScalarType? dtype = null) : base(nameof(UNetMidBlock2D))
    {
        resnets = nn.ModuleList(Enumerable.Range(0, numLayers + 1)
            .Select(_ => new ResnetBlock2D(channels, channels, null, groups, eps, actFn, device: device, dtype: dtype)).ToArray());
        if (addAttention)
            attentions = nn.ModuleList(Enumerable.Range(0, numLayers)
                .Select(_ => new Attention(channels, null, heads: 1, dimHead: channels, bias: true, outBias: true, upcast: true,
                    normNumGroups: groups, eps: eps, residualConnection: true, device: device, dtype: dtype)).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var x = resnets[0].call(hidden, null);
        for (int i = 1; i < resnets.Count; i++)
        {
            if (attentions is not null) x = attentions[i - 1].call(x, null);
            x = resnets[i].call(x, null);
        }
        return x.MoveToOuterDisposeScope();
    }
}
