using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Clip;

/// <summary>
/// transformers' <c>CLIPAttention</c> (4.36, eager): multi-head self-attention with q scaled by head_dim^-0.5 right
/// after its projection, additive causal and padding masks, softmax, and the output projection. The ops follow the
/// reference in order (bmm, add, softmax, bmm) so the float32 results round the same way.
/// </summary>
public sealed class CLIPAttention : nn.Module
{
    // Declaration order is registration order, which is the reference's state_dict() order: k, v, q, out.
    readonly Linear k_proj;
    readonly Linear v_proj;
    readonly Linear q_proj;
    readonly Linear out_proj;
    readonly int _heads;
    readonly int _headDim;
    readonly double _scale;

    public CLIPAttention(IClipEncoderConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(CLIPAttention))
    {
        int embed = config.HiddenSize;
        _heads = config.NumAttentionHeads;
        _headDim = embed / _heads;
        if (_headDim * _heads != embed)
            throw new ArgumentException($"hidden_size {embed} is not divisible by num_attention_heads {_heads}.", nameof(config));
        _scale = Math.Pow(_headDim, -0.5);
        k_proj = nn.Linear(embed, embed, device: device, dtype: dtype);
        v_proj = nn.Linear(embed, embed, device: device, dtype: dtype);
        q_proj = nn.Linear(embed, embed, device: device, dtype: dtype);
        out_proj = nn.Linear(embed, embed, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <param name="hiddenStates">[batch, tokens, hidden]</param>
    /// <param name="attentionMask">additive [batch, 1, tokens, tokens] (0 or the dtype's minimum), or null</param>
    /// <param name="causalAttentionMask">additive [batch or 1, 1, tokens, tokens], or null (the vision tower)</param>
    public Tensor forward(Tensor hiddenStates, Tensor? attentionMask = null, Tensor? causalAttentionMask = null)
    {
        long bsz = hiddenStates.shape[0], tgt = hiddenStates.shape[1], embed = hiddenStates.shape[2];
        var query = q_proj.forward(hiddenStates) * _scale;
        var key = SplitHeads(k_proj.forward(hiddenStates), bsz);
        var value = SplitHeads(v_proj.forward(hiddenStates), bsz);
        query = SplitHeads(query, bsz);
        long src = key.shape[1];

        var weights = bmm(query, key.transpose(1, 2));
        if (causalAttentionMask is not null)
            weights = (weights.view(bsz, _heads, tgt, src) + causalAttentionMask).view(bsz * _heads, tgt, src);
        if (attentionMask is not null)
            weights = (weights.view(bsz, _heads, tgt, src) + attentionMask).view(bsz * _heads, tgt, src);
        weights = weights.softmax(-1);

        var output = bmm(weights, value);
        output = output.view(bsz, _heads, tgt, _headDim).transpose(1, 2).reshape(bsz, tgt, embed);
        return out_proj.forward(output);
    }

    // [batch, tokens, hidden] -> [batch * heads, tokens, head_dim]
    Tensor SplitHeads(Tensor x, long bsz) =>
        x.view(bsz, -1, _heads, _headDim).transpose(1, 2).contiguous().view(bsz * _heads, -1, _headDim);
}
