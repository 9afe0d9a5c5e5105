using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Vae;

/// <summary>
/// diffusers <c>DiagonalGaussianDistribution</c>: the encoder moments split on channels into mean and log-variance,
/// log-variance clamped to [-30, 20], <c>std = exp(0.5 logvar)</c>. Owns its tensors.
/// </summary>
public sealed class DiagonalGaussianDistribution : IDisposable
{
    public DiagonalGaussianDistribution(Tensor moments)
    {
        using var scope = NewDisposeScope();
        var halves = moments.chunk(2, dim: 1);
        Mean = halves[0].MoveToOuterDisposeScope();
        LogVar = halves[1].clamp(-30.0, 20.0).MoveToOuterDisposeScope();
        Std = (LogVar * 0.5).exp().MoveToOuterDisposeScope();
        Var = LogVar.exp().MoveToOuterDisposeScope();
    }

    public Tensor Mean { get; }
    public Tensor LogVar { get; }
    public Tensor Std { get; }
    public Tensor Var { get; }

    /// <summary>
    /// <c>mean + std * ε</c>; ε is drawn like diffusers' <c>randn_tensor</c>: on the generator's device (a CPU
    /// generator gives the same noise whatever device the model is on) in the mean's dtype, then moved.
    /// </summary>
    public Tensor Sample(Generator? generator = null)
    {
        using var scope = NewDisposeScope();
        var device = generator?.device ?? Mean.device;
        var noise = randn(Mean.shape, dtype: Mean.dtype, device: device, generator: generator).to(Mean.device);
        return (Mean + Std * noise).MoveToOuterDisposeScope();
    }

    /// <summary>The mode of the distribution, i.e. the mean (a new handle, owned by the caller).</summary>
    public Tensor Mode() => Mean.alias();

    public void Dispose()
    {
        Mean.Dispose();
        LogVar.Dispose();
        Std.Dispose();
        Var.Dispose();
    }
}
