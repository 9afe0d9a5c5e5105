using TorchSharp;
using TorchSharp.Modules;
using Rpo.Diffusion.Models.Blocks;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Vae;

/// <summary>
/// diffusers VAE <c>Decoder</c>: conv_in from the latent channels, mid block, UpDecoderBlock2Ds over the reversed
/// widths with <c>layers_per_block + 1</c> resnets each (all but the last upsample), GroupNorm → act → conv_out.
/// </summary>
public sealed class Decoder : nn.Module<Tensor, Tensor>
{
    const double Eps = 1e-6;
    readonly Conv2d conv_in;
    readonly UNetMidBlock2D mid_block;
    readonly ModuleList<UpDecoderBlock2D> up_blocks;
    readonly GroupNorm conv_norm_out;
    readonly nn.Module<Tensor, Tensor> conv_act;
    readonly Conv2d conv_out;

    public Decoder(AutoencoderKLConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(Decoder))
    {
        var reversed = config.BlockOutChannels.Reverse().ToArray();
        conv_in = nn.Conv2d(config.LatentChannels, reversed[0], 3, stride: 1, padding: 1, device: device, dtype: dtype);
        mid_block = new UNetMidBlock2D(reversed[0], config.NormNumGroups, Eps, config.ActFn, config.MidBlockAddAttention,
            device: device, dtype: dtype);
        up_blocks = nn.ModuleList(Enumerable.Range(0, reversed.Length)
            .Select(i => new UpDecoderBlock2D(i == 0 ? reversed[0] : reversed[i - 1], reversed[i], config.LayersPerBlock + 1,
                addUpsample: i < reversed.Length - 1, config.NormNumGroups, Eps, config.ActFn, device, dtype))
            .ToArray());
        conv_norm_out = Layers.GroupNorm(config.NormNumGroups, reversed[^1], Eps, device, dtype);
        conv_act = Layers.Activation(config.ActFn, "act_fn");
        conv_out = nn.Conv2d(reversed[^1], config.OutChannels, 3, stride: 1, padding: 1, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor latents)
    {
        using var scope = NewDisposeScope();
        var x = mid_block.call(conv_in.call(latents));
        foreach (var block in up_blocks) x = block.call(x);
        x = conv_out.call(conv_act.call(conv_norm_out.call(x)));
        return x.MoveToOuterDisposeScope();
    }
}
