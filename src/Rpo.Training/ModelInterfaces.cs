using static TorchSharp.torch;

namespace Rpo.Training;

/// <summary>The VAE encoder as training uses it: the latent distribution of images, computed without gradients.</summary>
public interface ILatentEncoder
{
    /// <summary>diffusers' <c>vae.config.scaling_factor</c>: latents = sample · factor.</summary>
    double ScalingFactor { get; }

    /// <summary>Mean and standard deviation of the diagonal Gaussian for pixels [B, 3, H, W] in [-1, 1], unscaled, float32.</summary>
    (Tensor Mean, Tensor Std) Encode(Tensor pixels);
}

/// <summary>The frozen text encoder: a prompt's <c>encoder_hidden_states</c> [1, tokens, dim] (float32).</summary>
public interface IPromptEncoder
{
    Tensor Encode(string prompt);
}
