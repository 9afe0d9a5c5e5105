using Rpo.Diffusion.Models.Vae;
using static TorchSharp.torch;

namespace Rpo.Training.Models;

/// <summary>The frozen VAE's encoder for training: pixels in the VAE's dtype, distribution moments back in float32.</summary>
public sealed class VaeLatentEncoder : ILatentEncoder
{
    readonly AutoencoderKL vae;

    public VaeLatentEncoder(AutoencoderKL vae)
    {
        this.vae = vae;
        vae.eval();
        foreach (var p in vae.parameters()) p.requires_grad = false;
    }

    public double ScalingFactor => vae.ScalingFactor;

    public (Tensor Mean, Tensor Std) Encode(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var weight = vae.parameters().First();
        using var dist = vae.Encode(pixels.to(weight.dtype, weight.device));
        return (dist.Mean.to_type(ScalarType.Float32).MoveToOuterDisposeScope(), dist.Std.to_type(ScalarType.Float32).MoveToOuterDisposeScope());
    }
}
