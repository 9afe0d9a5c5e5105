using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders.Vit;

/// <summary>Self-attention followed by its output projection (<c>attention.output.dense</c>); the residual is added by the layer.</summary>
public sealed class ViTAttention : nn.Module<Tensor, Tensor>
{
    private readonly ViTSelfAttention attention;
    private readonly ViTSelfOutput output;

    public ViTAttention(ViTConfig config) : base(nameof(ViTAttention))
    {
        attention = new ViTSelfAttention(config);
        output = new ViTSelfOutput(config);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hiddenStates) => output.forward(attention.forward(hiddenStates));
}

/// <summary><c>attention.output</c>: a dense projection only (dropout is a no-op in eval).</summary>
public sealed class ViTSelfOutput : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;

    public ViTSelfOutput(ViTConfig config) : base(nameof(ViTSelfOutput))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hiddenStates) => dense.forward(hiddenStates);
}
