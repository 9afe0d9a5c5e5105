using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders.Vit;

/// <summary>
/// Pre-LN transformer block: x + attn(layernorm_before(x)), then that + mlp(layernorm_after(that)).
/// </summary>
public sealed class ViTLayer : nn.Module<Tensor, Tensor>
{
    private readonly ViTAttention attention;
    private readonly ViTIntermediate intermediate;
    private readonly ViTOutput output;
    private readonly LayerNorm layernorm_before;
    private readonly LayerNorm layernorm_after;

    public ViTLayer(ViTConfig config) : base(nameof(ViTLayer))
    {
        attention = new ViTAttention(config);
        intermediate = new ViTIntermediate(config);
        output = new ViTOutput(config);
        layernorm_before = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        layernorm_after = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hiddenStates)
    {
        var attended = attention.forward(layernorm_before.forward(hiddenStates)) + hiddenStates;
        var mlp = intermediate.forward(layernorm_after.forward(attended));
        return output.forward(mlp, attended);
    }
}

/// <summary><c>intermediate.dense</c> followed by the configured activation.</summary>
public sealed class ViTIntermediate : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly Func<Tensor, Tensor> activation;

    public ViTIntermediate(ViTConfig config) : base(nameof(ViTIntermediate))
    {
        dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        activation = Activations.Get(config.HiddenAct);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hiddenStates) => activation(dense.forward(hiddenStates));
}

/// <summary><c>output.dense</c> back to the hidden width, plus the residual.</summary>
public sealed class ViTOutput : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear dense;

    public ViTOutput(ViTConfig config) : base(nameof(ViTOutput))
    {
        dense = nn.Linear(config.IntermediateSize, config.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hiddenStates, Tensor residual) => dense.forward(hiddenStates) + residual;
}
