using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Blocks;

/// <summary>diffusers <c>GEGLU</c>: one projection to twice the width, split in two halves, <c>hidden * gelu(gate)</c> (exact erf gelu).</summary>
public sealed class GEGLU : nn.Module<Tensor, Tensor>
{
    readonly Linear proj;

    public GEGLU(long dimIn, long dimOut, Device? device = null, ScalarType? dtype = null) : base(nameof(GEGLU))
    {
        proj = nn.Linear(dimIn, dimOut * 2, hasBias: true, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var halves = proj.call(input).chunk(2, dim: -1);
        return (halves[0] * nn.functional.gelu(halves[1])).MoveToOuterDisposeScope();
    }
}

/// <summary>diffusers <c>FeedForward</c> with the GEGLU activation: <c>net = [GEGLU(dim, dim*mult), Dropout, Linear(dim*mult, dim)]</c>.</summary>
public sealed class FeedForward : nn.Module<Tensor, Tensor>
{
    readonly ModuleList<nn.Module<Tensor, Tensor>> net;

    public FeedForward(long dim, int mult = 4, double dropout = 0.0, Device? device = null, ScalarType? dtype = null)
        : base(nameof(FeedForward))
    {
        long inner = dim * mult;
        net = nn.ModuleList<nn.Module<Tensor, Tensor>>(
            new GEGLU(dim, inner, device, dtype),
            nn.Dropout(dropout),
            nn.Linear(inner, dim, hasBias: true, device: device, dtype: dtype));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input;
        foreach (var layer in net) x = layer.call(x);
        return x.MoveToOuterDisposeScope();
    }
}
