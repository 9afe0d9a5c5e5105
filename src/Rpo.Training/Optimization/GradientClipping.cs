using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Training.Optimization;

/// <summary>
/// torch.nn.utils.clip_grad_norm_ (PyTorch 2.x, norm type 2): total = ‖(‖g_1‖, …, ‖g_n‖)‖₂ over the parameters that have
/// gradients; every gradient is multiplied by min(1, max_norm / (total + 1e-6)). Written out here because TorchSharp
/// 0.107's own version returned NaN norms at random on CPU in our runs.
/// </summary>
public static class GradientClipping
{
    /// <returns>The total norm before clipping.</returns>
    public static double ClipGradNorm(IEnumerable<Parameter> parameters, double maxNorm)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var grads = parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToList();
        if (grads.Count == 0) return 0;
        var total = stack(grads.Select(g => g.to_type(ScalarType.Float32).norm()).ToArray()).norm();
        var coefficient = (maxNorm / (total + 1e-6)).clamp_max(1.0);
        foreach (var g in grads) g.mul_(coefficient.to_type(g.dtype));
        return total.item<float>();
    }
}
