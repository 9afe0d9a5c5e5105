using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Blocks;

/// <summary>
/// diffusers <c>Attention</c> with the classic <c>AttnProcessor</c> semantics: multi-head scaled dot-product
/// attention with scale <c>dim_head^-0.5</c>, keys/values from <c>encoder_hidden_states</c> when given (cross
/// attention) else from the input (self attention), <c>to_out = [Linear, Dropout]</c>. For 4-D input (the VAE
/// mid-block) the pixels are the tokens, an optional input GroupNorm runs first, and the residual is added and
/// the sum divided by <c>rescale_output_factor</c> at the end.
/// </summary>
public sealed class Attention : nn.Module<Tensor, Tensor?, Tensor>
{
    readonly GroupNorm? group_norm;
    readonly Linear to_q;
    readonly Linear to_k;
    readonly Linear to_v;
    readonly ModuleList<nn.Module<Tensor, Tensor>> to_out;
    readonly long heads;
    readonly long dimHead;
    readonly bool upcast;
    readonly bool residualConnection;
    readonly double rescaleOutputFactor;

    /// <param name="upcast">diffusers' <c>upcast_attention</c> / <c>upcast_softmax</c>: half-precision inputs attend in float32.</param>
    /// <param name="normNumGroups">Groups of the input GroupNorm (VAE); null for none.</param>
    public Attention(long queryDim, long? crossAttentionDim, long heads, long dimHead, double dropout = 0.0,
        bool bias = false, bool outBias = true, bool upcast = false, int? normNumGroups = null, double eps = 1e-5,
        bool residualConnection = false, double rescaleOutputFactor = 1.0,
        Device? device = null, ScalarType? dtype = null) : base(nameof(Attention))
    {
        long inner = heads * dimHead;
        long contextDim = crossAttentionDim ?? queryDim;
        if (normNumGroups is int groups)
            group_norm = Layers.GroupNorm(groups, queryDim, eps, device, dtype);
        to_q = nn.Linear(queryDim, inner, hasBias: bias, device: device, dtype: dtype);
        to_k = nn.Linear(contextDim, inner, hasBias: bias, device: device, dtype: dtype);
        to_v = nn.Linear(contextDim, inner, hasBias: bias, device: device, dtype: dtype);
        to_out = nn.ModuleList<nn.Module<Tensor, Tensor>>(
            nn.Linear(inner, queryDim, hasBias: outBias, device: device, dtype: dtype),
            nn.Dropout(dropout));
        this.heads = heads;
        this.dimHead = dimHead;
        this.upcast = upcast;
        this.residualConnection = residualConnection;
        this.rescaleOutputFactor = rescaleOutputFactor;
        RegisterComponents();
    }

    public long Heads => heads;

    public override Tensor forward(Tensor hiddenStates, Tensor? encoderHiddenStates)
    {
        using var scope = NewDisposeScope();
        var residual = hiddenStates;
        bool spatial = hiddenStates.dim() == 4;
        long batch = hiddenStates.shape[0], channels = 0, height = 0, width = 0;
        var x = hiddenStates;
        if (spatial)
        {
            (channels, height, width) = (x.shape[1], x.shape[2], x.shape[3]);
            x = x.view(batch, channels, height * width).transpose(1, 2);
        }
        if (group_norm is not null)
            x = group_norm.call(x.transpose(1, 2)).transpose(1, 2);

        var context = encoderHiddenStates ?? x;
        var q = SplitHeads(to_q.call(x), batch);
        var k = SplitHeads(to_k.call(context), batch);
        var v = SplitHeads(to_v.call(context), batch);

        var dtype = q.dtype;
        bool promote = upcast && (dtype == ScalarType.Float16 || dtype == ScalarType.BFloat16);
        if (promote) (q, k, v) = (q.to(ScalarType.Float32), k.to(ScalarType.Float32), v.to(ScalarType.Float32));
        // Same operation as diffusers' baddbmm(alpha = dim_head^-0.5) + softmax + bmm; SDPA's default scale is
        // 1/sqrt(last dim) = dim_head^-0.5, and it picks a memory-efficient kernel where one exists.
        var o = nn.functional.scaled_dot_product_attention(q, k, v);
        if (promote) o = o.to(dtype);

        o = o.transpose(1, 2).reshape(batch, -1, heads * dimHead);
        foreach (var layer in to_out) o = layer.call(o);

        if (spatial) o = o.transpose(-1, -2).reshape(batch, channels, height, width);
        if (residualConnection) o = o + residual;
        if (rescaleOutputFactor != 1.0) o = o / rescaleOutputFactor;
        return o.MoveToOuterDisposeScope();
    }

    // [B, N, heads * dim_head] -> [B, heads, N, dim_head]
    Tensor SplitHeads(Tensor t, long batch) => t.view(batch, -1, heads, dimHead).transpose(1, 2);
}
