using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders.Align;

/// <summary>BERT attention: <c>self</c> (query/key/value) then <c>output</c> (dense, residual, LayerNorm).</summary>
public sealed class AlignTextAttention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly AlignTextSelfAttention self;
    private readonly AlignTextSelfOutput output;

    public AlignTextAttention(AlignTextConfig config) : base(nameof(AlignTextAttention))
    {
        self = new AlignTextSelfAttention(config);
        output = new AlignTextSelfOutput(config);
        RegisterComponents();
    }

    /// <summary>hidden [N, L, H], additive mask [N, 1, 1, L].</summary>
    public override Tensor forward(Tensor hiddenStates, Tensor additiveMask)
        => output.forward(self.forward(hiddenStates, additiveMask), hiddenStates);
}

/// <summary>BERT self-attention projections and the eager attention arithmetic.</summary>
public sealed class AlignTextSelfAttention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly long heads;

    public AlignTextSelfAttention(AlignTextConfig config) : base(nameof(AlignTextSelfAttention))
    {
        heads = config.NumAttentionHeads;
        query = nn.Linear(config.HiddenSize, config.HiddenSize);
        key = nn.Linear(config.HiddenSize, config.HiddenSize);
        value = nn.Linear(config.HiddenSize, config.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hiddenStates, Tensor additiveMask)
    {
        var q = EagerAttention.SplitHeads(query.forward(hiddenStates), heads);
        var k = EagerAttention.SplitHeads(key.forward(hiddenStates), heads);
        var v = EagerAttention.SplitHeads(value.forward(hiddenStates), heads);
        return EagerAttention.Compute(q, k, v, additiveMask);
    }
}

/// <summary>Post-LN sublayer end: LayerNorm(dense(x) + residual).</summary>
public sealed class AlignTextSelfOutput : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;

    public AlignTextSelfOutput(AlignTextConfig config) : base(nameof(AlignTextSelfOutput))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hiddenStates, Tensor residual) => LayerNorm.forward(dense.forward(hiddenStates) + residual);
}
