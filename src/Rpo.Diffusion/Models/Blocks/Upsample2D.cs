using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Blocks;

/// <summary>diffusers <c>Upsample2D</c> with <c>use_conv=True</c>: nearest-neighbour x2 (or to a given size), then a 3x3 conv.</summary>
public sealed class Upsample2D : nn.Module<Tensor, long[]?, Tensor>
{
    readonly Conv2d conv;

    public Upsample2D(long channels, long outChannels, Device? device = null, ScalarType? dtype = null) : base(nameof(Upsample2D))
    {
        conv = nn.Conv2d(channels, outChannels, 3, stride: 1, padding: 1, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <param name="outputSize">Height and width to upsample to when the skip connection is not exactly twice the size.</param>
    public override Tensor forward(Tensor input, long[]? outputSize)
    {
        using var scope = NewDisposeScope();
        // diffusers upsamples bfloat16 in float32 (nearest interpolation had no bfloat16 kernel); it is exact either way.
        var dtype = input.dtype;
        var x = dtype == ScalarType.BFloat16 ? input.to(ScalarType.Float32) : input;
        x = outputSize is null
            ? nn.functional.interpolate(x, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest)
            : nn.functional.interpolate(x, size: outputSize, mode: InterpolationMode.Nearest);
        if (dtype == ScalarType.BFloat16) x = x.to(dtype);
        return conv.call(x).MoveToOuterDisposeScope();
    }
}
