using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Training.Lora;

/// <summary>
/// The low-rank update of one Linear (Hu et al. 2021, eq. 3): Δh = (α/r) · B A x, with A [r, in] drawn like peft's
/// default (kaiming-uniform, a = √5, i.e. U(−1/√in, 1/√in)) and B [out, r] zero, so training starts at the base model.
/// Field names are peft's (<c>lora_A</c>, <c>lora_B</c>).
/// </summary>
public sealed class LoraLinear : nn.Module<Tensor, Tensor>
{
    readonly Linear lora_A;
    readonly Linear lora_B;

    public LoraLinear(long inFeatures, long outFeatures, int rank, double scale, Generator generator) : base(nameof(LoraLinear))
    {
        Scale = scale;
        lora_A = nn.Linear(inFeatures, rank, hasBias: false);
        lora_B = nn.Linear(rank, outFeatures, hasBias: false);
        using (no_grad())
        {
            double bound = 1 / Math.Sqrt(inFeatures);
            using var u = rand(lora_A.weight!.shape, generator: generator);
            lora_A.weight!.copy_(u * (2 * bound) - bound);
            lora_B.weight!.zero_();
        }
        RegisterComponents();
    }

    public double Scale { get; }
    public Parameter A => lora_A.weight!;
    public Parameter B => lora_B.weight!;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input.dtype == A.dtype ? input : input.to_type(A.dtype);
        return (lora_B.call(lora_A.call(x)) * Scale).MoveToOuterDisposeScope();
    }
}
