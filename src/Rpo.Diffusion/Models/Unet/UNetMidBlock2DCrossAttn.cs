using TorchSharp;
using TorchSharp.Modules;
using Rpo.Diffusion.Models.Blocks;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Unet;

/// <summary>diffusers <c>UNetMidBlock2DCrossAttn</c>: resnet, then (Transformer2DModel → resnet) per layer, at constant width.</summary>
public sealed class UNetMidBlock2DCrossAttn : nn.Module<Tensor, Tensor, Tensor?, Tensor>
{
    readonly ModuleList<Transformer2DModel> attentions;
    readonly ModuleList<ResnetBlock2D> resnets;

    public UNetMidBlock2DCrossAttn(long channels, ResnetOptions options, CrossAttentionOptions attention, int numLayers = 1)
        : base(nameof(UNetMidBlock2DCrossAttn))
    {
        resnets = nn.ModuleList(Enumerable.Range(0, numLayers + 1)
            .Select(_ => UNetBlockFactory.Resnet(channels, channels, options)).ToArray());
        attentions = nn.ModuleList(Enumerable.Range(0, numLayers)
            .Select(_ => UNetBlockFactory.Transformer(channels, options, attention)).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor temb, Tensor? encoderHiddenStates)
    {
        var x = resnets[0].call(hidden, temb);
        for (int i = 0; i < attentions.Count; i++)
            x = resnets[i + 1].call(attentions[i].call(x, encoderHiddenStates), temb);
        return x;
    }
}
