using TorchSharp;
using TorchSharp.Modules;
using Rpo.Diffusion.Models.Blocks;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Unet;

/// <summary>
/// diffusers <c>UpBlock2D</c>: per resnet, concatenate the next skip (from the end of the stack) after the hidden
/// state on channels and run the resnet; then an optional nearest-x2 upsampler.
/// </summary>
public sealed class UpBlock2D : UNetUpBlock
{
    readonly ModuleList<ResnetBlock2D> resnets;
    readonly ModuleList<Upsample2D>? upsamplers;

    /// <param name="inChannels">Width of the skip that the last resnet consumes (the encoder stage below).</param>
    /// <param name="prevOutputChannels">Width of the hidden state coming in.</param>
    public UpBlock2D(long inChannels, long prevOutputChannels, long outChannels, int numLayers, bool addUpsample,
        ResnetOptions options) : base(nameof(UpBlock2D))
    {
        resnets = nn.ModuleList(Enumerable.Range(0, numLayers)
            .Select(i => UNetBlockFactory.Resnet(UNetBlockFactory.UpResnetInChannels(i, numLayers, inChannels, prevOutputChannels, outChannels),
                outChannels, options)).ToArray());
        if (addUpsample)
            upsamplers = nn.ModuleList(new Upsample2D(outChannels, outChannels, options.Device, options.Dtype));
        RegisterComponents();
    }

    public override int SkipCount => resnets.Count;

    public override bool HasUpsampler => upsamplers is not null;

    public override Tensor forward(Tensor hidden, Tensor[] skips, Tensor temb, Tensor? encoderHiddenStates, long[]? upsampleSize)
    {
        if (skips.Length != resnets.Count)
            throw new ArgumentException($"{nameof(UpBlock2D)} takes {resnets.Count} skips, got {skips.Length}.");
        var x = hidden;
        for (int i = 0; i < resnets.Count; i++)
            x = resnets[i].call(cat([x, skips[^(i + 1)]], dim: 1), temb);
        if (upsamplers is not null)
            foreach (var up in upsamplers) x = up.call(x, upsampleSize);
        return x;
    }
}
