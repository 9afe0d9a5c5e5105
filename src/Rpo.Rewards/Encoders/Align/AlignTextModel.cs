using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders.Align;

/// <summary>
/// ALIGN's BERT text tower. <see cref="forward"/> gives last_hidden_state; the pooler is built (its weights are in
/// every ALIGN checkpoint) but only runs through <see cref="PoolerOutput"/>.
/// </summary>
public sealed class AlignTextModel : nn.Module<Tensor, Tensor?, Tensor?, Tensor>
{
    private readonly AlignTextEmbeddings embeddings;
    private readonly AlignTextEncoder encoder;
    private readonly AlignTextPooler pooler;

    public AlignTextModel(AlignTextConfig config) : base(nameof(AlignTextModel))
    {
        config.Validate();
        embeddings = new AlignTextEmbeddings(config);
        encoder = new AlignTextEncoder(config);
        pooler = new AlignTextPooler(config);
        RegisterComponents();
    }

    /// <summary>
    /// input_ids [N, L] int64; attention_mask [N, L] (1 keep, 0 pad; null = all ones); token_type_ids [N, L]
    /// (null = zeros) -> last_hidden_state [N, L, hidden].
    /// </summary>
    public override Tensor forward(Tensor inputIds, Tensor? attentionMask, Tensor? tokenTypeIds)
    {
        if (inputIds.dim() != 2)
            throw new ArgumentException($"input_ids must be [N, L], got [{string.Join(", ", inputIds.shape)}].");
        using var scope = NewDisposeScope();
        tokenTypeIds ??= zeros_like(inputIds);
        var hidden = embeddings.forward(inputIds, tokenTypeIds);
        // get_extended_attention_mask: (1 - mask) * finfo(dtype).min, broadcast over heads and queries.
        var mask = attentionMask is null
            ? ones(inputIds.shape[0], inputIds.shape[1], dtype: hidden.dtype, device: hidden.device)
            : attentionMask.to(hidden.dtype);
        var additive = (1.0 - mask.unsqueeze(1).unsqueeze(2)) * MinValue(hidden.dtype);
        return encoder.forward(hidden, additive).MoveToOuterDisposeScope();
    }

    /// <summary>BERT pooled output tanh(dense(last_hidden_state[:, 0])).</summary>
    public Tensor PoolerOutput(Tensor lastHiddenState) => pooler.forward(lastHiddenState);

    private static double MinValue(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => float.MinValue,
        ScalarType.Float64 => double.MinValue,
        ScalarType.Float16 => -65504.0,
        ScalarType.BFloat16 => -3.3895313892515355e38,
        _ => throw new NotSupportedException($"Text tower dtype {dtype} is not supported."),
    };
}
