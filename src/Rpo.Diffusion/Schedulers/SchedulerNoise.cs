using static TorchSharp.torch;

namespace Rpo.Diffusion.Schedulers;

internal static class SchedulerNoise
{
    /// <summary>N(0, I) shaped like <paramref name="like"/>. With a generator the draw happens on the generator's device
    /// (CPU for the seeded runs) and moves over, as diffusers' randn_tensor does, so a seed gives the same noise
    /// whatever device the model runs on.</summary>
    public static Tensor Randn(Tensor like, Generator? generator)
    {
        if (generator is null) return randn_like(like);
        var noise = randn(like.shape, like.dtype, device: generator.device, generator: generator);
        return noise.device == like.device ? noise : noise.to(like.device);
    }

    /// <summary>The 0-dim ᾱ lookup diffusers does with <c>alphas_cumprod[t]</c>, for a timestep that must be a
    /// training step.</summary>
    public static int TrainingIndex(double timestep, int numTrainTimesteps)
    {
        if (timestep != Math.Floor(timestep) || timestep < 0 || timestep >= numTrainTimesteps)
            throw new ArgumentOutOfRangeException(nameof(timestep), timestep, $"not a training timestep in 0..{numTrainTimesteps - 1}.");
        return (int)timestep;
    }
}
