using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Parity;

/// <summary>
/// One output compared with its reference: pass when every element has |got − expected| ≤ atol + rtol·|expected|
/// (the fixtures' rule); integer tensors must be equal.
/// </summary>
public sealed record TensorComparison(string Name, double MaxAbs, double MaxRel, double Atol, double Rtol, bool Pass, string? Problem = null)
{
    public static TensorComparison Compare(string name, Tensor got, Tensor expected, double atol, double rtol = 1e-4)
    {
        if (!got.shape.SequenceEqual(expected.shape))
            return new(name, double.NaN, double.NaN, atol, rtol, false,
                $"shape [{string.Join(", ", got.shape)}] vs expected [{string.Join(", ", expected.shape)}]");
        using var scope = NewDisposeScope();
        bool integral = !torch.is_floating_point(expected) || !torch.is_floating_point(got);
        var g = got.detach().cpu().to_type(ScalarType.Float64);
        var e = expected.detach().cpu().to_type(ScalarType.Float64);
        if (got.numel() == 0) return new(name, 0, 0, atol, rtol, true);
        var diff = (g - e).abs();
        double maxAbs = diff.max().item<double>();
        double maxRel = (diff / e.abs().clamp_min(1e-12)).max().item<double>();
        bool pass = integral
            ? maxAbs == 0
            : diff.le(atol + rtol * e.abs()).all().item<bool>() && !g.isnan().any().item<bool>();
        return new(name, maxAbs, maxRel, integral ? 0 : atol, integral ? 0 : rtol, pass);
    }

    public override string ToString() =>
        Problem is not null
            ? $"{Name}: FAIL ({Problem})"
            : $"{Name}: {(Pass ? "PASS" : "FAIL")} max|Δ| {MaxAbs:E2} max rel {MaxRel:E2} (atol {Atol:E0}, rtol {Rtol:E0})";
}
