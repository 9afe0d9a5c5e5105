using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Blocks;

/// <summary>
/// diffusers <c>ResnetBlock2D</c> with <c>time_embedding_norm = "default"</c>, no up/down sampling inside:
/// norm1 → act → conv1 (+ time_emb_proj(act(temb))) → norm2 → act → dropout → conv2, plus the
/// (1x1-projected when the width changes) input, divided by <c>output_scale_factor</c>.
/// </summary>
public sealed class ResnetBlock2D : nn.Module<Tensor, Tensor?, Tensor>
{
    readonly GroupNorm norm1;
    readonly Conv2d conv1;
    readonly Linear? time_emb_proj;
    readonly GroupNorm norm2;
    readonly Dropout dropout;
    readonly Conv2d conv2;
    readonly nn.Module<Tensor, Tensor> nonlinearity;
    readonly Conv2d? conv_shortcut;
    readonly double outputScaleFactor;

    /// <param name="tembChannels">Width of the time embedding; null (the VAE) means no <c>time_emb_proj</c>.</param>
    public ResnetBlock2D(long inChannels, long outChannels, long? tembChannels, int groups, double eps,
        string actFn = "silu", double dropout = 0.0, double outputScaleFactor = 1.0,
        Device? device = null, ScalarType? dtype = null) : base(nameof(ResnetBlock2D))
    {
        norm1 = Layers.GroupNorm(groups, inChannels, eps, device, dtype);
        conv1 = nn.Conv2d(inChannels, outChannels, 3, stride: 1, padding: 1, device: device, dtype: dtype);
        if (tembChannels is long t)
            time_emb_proj = nn.Linear(t, outChannels, hasBias: true, device: device, dtype: dtype);
        norm2 = Layers.GroupNorm(groups, outChannels, eps, device, dtype);
        this.dropout = nn.Dropout(dropout);
        conv2 = nn.Conv2d(outChannels, outChannels, 3, stride: 1, padding: 1, device: device, dtype: dtype);
        nonlinearity = Layers.Activation(actFn, "act_fn");
        if (inChannels != outChannels)
            conv_shortcut = nn.Conv2d(inChannels, outChannels, 1, stride: 1, device: device, dtype: dtype);
        this.outputScaleFactor = outputScaleFactor;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input, Tensor? temb)
    {
        using var scope = NewDisposeScope();
        var h = conv1.call(nonlinearity.call(norm1.call(input)));
        if (time_emb_proj is not null)
        {
            if (temb is null) throw new ArgumentNullException(nameof(temb), "this resnet block needs the time embedding");
            var t = time_emb_proj.call(nonlinearity.call(temb));
            h = h + t[.., .., TensorIndex.None, TensorIndex.None];
        }
        h = conv2.call(dropout.call(nonlinearity.call(norm2.call(h))));
        var shortcut = conv_shortcut is null ? input : conv_shortcut.call(input);
        var output = shortcut + h;
        // Division by 1 is exact, so skipping it changes nothing; other factors divide as diffusers does.
        if (outputScaleFactor != 1.0) output = output / outputScaleFactor;
        return output.MoveToOuterDisposeScope();
    }
}
