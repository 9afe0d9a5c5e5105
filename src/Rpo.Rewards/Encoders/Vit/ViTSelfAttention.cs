using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders.Vit;

/// <summary>Multi-head self-attention projections (<c>attention.attention.query/key/value</c>).</summary>
public sealed class ViTSelfAttention : nn.Module<Tensor, Tensor>
{
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly long heads;

    public ViTSelfAttention(ViTConfig config) : base(nameof(ViTSelfAttention))
    {
        heads = config.NumAttentionHeads;
        query = nn.Linear(config.HiddenSize, config.HiddenSize, hasBias: config.QkvBias);
        key = nn.Linear(config.HiddenSize, config.HiddenSize, hasBias: config.QkvBias);
        value = nn.Linear(config.HiddenSize, config.HiddenSize, hasBias: config.QkvBias);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hiddenStates)
    {
        // transformers projects the query first; the order does not change values.
        var q = EagerAttention.SplitHeads(query.forward(hiddenStates), heads);
        var k = EagerAttention.SplitHeads(key.forward(hiddenStates), heads);
        var v = EagerAttention.SplitHeads(value.forward(hiddenStates), heads);
        return EagerAttention.Compute(q, k, v, null);
    }
}
