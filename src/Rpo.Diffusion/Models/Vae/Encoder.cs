using TorchSharp;
using TorchSharp.Modules;
using Rpo.Diffusion.Models.Blocks;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Vae;

/// <summary>
/// diffusers VAE <c>Encoder</c>: conv_in, DownEncoderBlock2Ds (all but the last downsample), mid block,
/// GroupNorm → act → conv_out to 2 x latent channels (mean and log-variance). Every GroupNorm has eps 1e-6.
/// </summary>
public sealed class Encoder : nn.Module<Tensor, Tensor>
{
    const double Eps = 1e-6;
    readonly Conv2d conv_in;
    readonly ModuleList<DownEncoderBlock2D> down_blocks;
    readonly UNetMidBlock2D mid_block;
    readonly GroupNorm conv_norm_out;
    readonly nn.Module<Tensor, Tensor> conv_act;
    readonly Conv2d conv_out;

    public Encoder(AutoencoderKLConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(Encoder))
    {
        var channels = config.BlockOutChannels;
        conv_in = nn.Conv2d(config.InChannels, channels[0], 3, stride: 1, padding: 1, device: device, dtype: dtype);
        down_blocks = nn.ModuleList(Enumerable.Range(0, channels.Count)
            .Select(i => new DownEncoderBlock2D(i == 0 ? channels[0] : channels[i - 1], channels[i], config.LayersPerBlock,
                addDownsample: i < channels.Count - 1, config.NormNumGroups, Eps, config.ActFn, device, dtype))
            .ToArray());
        mid_block = new UNetMidBlock2D(channels[^1], config.NormNumGroups, Eps, config.ActFn, config.MidBlockAddAttention,
            device: device, dtype: dtype);
        conv_norm_out = Layers.GroupNorm(config.NormNumGroups, channels[^1], Eps, device, dtype);
        conv_act = Layers.Activation(config.ActFn, "act_fn");
        conv_out = nn.Conv2d(channels[^1], 2 * config.LatentChannels, 3, stride: 1, padding: 1, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor sample)
    {
        using var scope = NewDisposeScope();
        var x = conv_in.call(sample);
        foreach (var block in down_blocks) x = block.call(x);
        x = mid_block.call(x);
        x = conv_out.call(conv_act.call(conv_norm_out.call(x)));
        return x.MoveToOuterDisposeScope();
    }
}
