using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders.Align;

/// <summary>One post-LN BERT layer: attention sublayer, then intermediate (dense + act) and output (dense, residual, LayerNorm).</summary>
public sealed class AlignTextLayer : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly AlignTextAttention attention;
    private readonly AlignTextIntermediate intermediate;
    private readonly AlignTextOutput output;

    public AlignTextLayer(AlignTextConfig config) : base(nameof(AlignTextLayer))
    {
        attention = new AlignTextAttention(config);
        intermediate = new AlignTextIntermediate(config);
        output = new AlignTextOutput(config);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hiddenStates, Tensor additiveMask)
    {
        var attended = attention.forward(hiddenStates, additiveMask);
        return output.forward(intermediate.forward(attended), attended);
    }
}

/// <summary><c>intermediate.dense</c> followed by the configured activation.</summary>
public sealed class AlignTextIntermediate : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly Func<Tensor, Tensor> activation;

    public AlignTextIntermediate(AlignTextConfig config) : base(nameof(AlignTextIntermediate))
    {
        dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        activation = Activations.Get(config.HiddenAct);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hiddenStates) => activation(dense.forward(hiddenStates));
}

/// <summary><c>output</c>: LayerNorm(dense(x) + residual) back to the hidden width.</summary>
public sealed class AlignTextOutput : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;

    public AlignTextOutput(AlignTextConfig config) : base(nameof(AlignTextOutput))
    {
        dense = nn.Linear(config.IntermediateSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hiddenStates, Tensor residual) => LayerNorm.forward(dense.forward(hiddenStates) + residual);
}
