using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Blocks;

/// <summary>
/// diffusers <c>Downsample2D</c> with <c>use_conv=True</c>: a stride-2 3x3 conv. With <c>padding=0</c> (the VAE
/// encoder) the input is first zero-padded on the right and bottom only, as the original LDM code did.
/// </summary>
public sealed class Downsample2D : nn.Module<Tensor, Tensor>
{
    readonly Conv2d conv;
    readonly long padding;

    public Downsample2D(long channels, long outChannels, long padding, Device? device = null, ScalarType? dtype = null)
        : base(nameof(Downsample2D))
    {
        conv = nn.Conv2d(channels, outChannels, 3, stride: 2, padding: padding, device: device, dtype: dtype);
        this.padding = padding;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        if (padding != 0) return conv.call(input);
        using var padded = nn.functional.pad(input, [0, 1, 0, 1], PaddingModes.Constant, 0.0);
        return conv.call(padded);
    }
}
