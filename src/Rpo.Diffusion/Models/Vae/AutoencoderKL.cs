using System.Text.RegularExpressions;
using TorchSharp;
using TorchSharp.Modules;
using Rpo.Diffusion.Weights;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Vae;

/// <summary>
/// diffusers <c>AutoencoderKL</c>: <see cref="Encode"/> = encoder → quant_conv → <see cref="DiagonalGaussianDistribution"/>;
/// <see cref="Decode"/> = post_quant_conv → decoder. Neither applies <see cref="ScalingFactor"/>; the caller does.
/// </summary>
public sealed partial class AutoencoderKL : nn.Module<Tensor, Tensor>
{
    readonly Encoder encoder;
    readonly Decoder decoder;
    readonly Conv2d? quant_conv;
    readonly Conv2d? post_quant_conv;

    public AutoencoderKLConfig Config { get; }

    /// <summary>The latent scale of the model (config <c>scaling_factor</c>).</summary>
    public double ScalingFactor => Config.ScalingFactor;

    public AutoencoderKL(AutoencoderKLConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(AutoencoderKL))
    {
        config.EnsureSupported();
        Config = config;
        encoder = new Encoder(config, device, dtype);
        decoder = new Decoder(config, device, dtype);
        long moments = 2 * config.LatentChannels;
        if (config.UseQuantConv)
            quant_conv = nn.Conv2d(moments, moments, 1, device: device, dtype: dtype);
        if (config.UsePostQuantConv)
            post_quant_conv = nn.Conv2d(config.LatentChannels, config.LatentChannels, 1, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>Reads <c>config.json</c> and <c>diffusion_pytorch_model.safetensors</c> of a diffusers VAE folder (old attention names accepted); eval mode.</summary>
    public static AutoencoderKL FromPretrained(string folder, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        var config = AutoencoderKLConfig.Load(Path.Combine(folder, "config.json"));
        var model = new AutoencoderKL(config, device, dtype);
        try
        {
            ModuleWeights.Load(model, Path.Combine(folder, "diffusion_pytorch_model.safetensors"), RenameLegacyKey);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return model;
    }

    /// <summary>
    /// Maps the mid-block attention names of older diffusers VAE files (<c>query</c>, <c>key</c>, <c>value</c>,
    /// <c>proj_attn</c>) to the current ones (<c>to_q</c>, <c>to_k</c>, <c>to_v</c>, <c>to_out.0</c>), as diffusers
    /// does on load; every other key is returned unchanged.
    /// </summary>
    public static string? RenameLegacyKey(string key)
    {
        var m = LegacyAttentionKey().Match(key);
        if (!m.Success) return key;
        string name = m.Groups[2].Value switch
        {
            "query" => "to_q",
            "key" => "to_k",
            "value" => "to_v",
            _ => "to_out.0",
        };
        return $"{m.Groups[1].Value}{name}.{m.Groups[3].Value}";
    }

    [GeneratedRegex(@"^(.*\.attentions\.\d+\.)(query|key|value|proj_attn)\.(weight|bias)$")]
    private static partial Regex LegacyAttentionKey();

    /// <summary>The posterior over latents for images in [-1, 1], [B, in_channels, H, W].</summary>
    public DiagonalGaussianDistribution Encode(Tensor images)
    {
        Tensor moments;
        using (var scope = NewDisposeScope())
        {
            var m = encoder.call(images);
            if (quant_conv is not null) m = quant_conv.call(m);
            moments = m.MoveToOuterDisposeScope();
        }
        // Outside the scope above, so that the distribution's tensors belong to the caller.
        using (moments) return new DiagonalGaussianDistribution(moments);
    }

    /// <summary>Images (about [-1, 1]) from unscaled latents [B, latent_channels, h, w].</summary>
    public Tensor Decode(Tensor latents)
    {
        using var scope = NewDisposeScope();
        var z = post_quant_conv is null ? latents : post_quant_conv.call(latents);
        return decoder.call(z).MoveToOuterDisposeScope();
    }

    /// <summary>Reconstruction through the posterior mean, as diffusers' <c>forward(sample_posterior=False)</c>.</summary>
    public override Tensor forward(Tensor images)
    {
        using var posterior = Encode(images);
        return Decode(posterior.Mean);
    }
}
