using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders.Align;

/// <summary>BERT embeddings: (word + token_type) + absolute position, then LayerNorm.</summary>
public sealed class AlignTextEmbeddings : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly long maxPositions;

    public AlignTextEmbeddings(AlignTextConfig config) : base(nameof(AlignTextEmbeddings))
    {
        maxPositions = config.MaxPositionEmbeddings;
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        RegisterComponents();
    }

    /// <summary>input_ids and token_type_ids [N, L] int64 -> [N, L, hidden].</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds)
    {
        var length = inputIds.shape[1];
        if (length > maxPositions)
            throw new ArgumentException($"Sequence of {length} tokens is longer than max_position_embeddings {maxPositions}.");
        // The non-persistent position_ids buffer of transformers is arange(max_positions); its first L entries.
        var positionIds = arange(length, dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0);
        var embeddings = word_embeddings.forward(inputIds) + token_type_embeddings.forward(tokenTypeIds);
        embeddings = embeddings + position_embeddings.forward(positionIds);
        return LayerNorm.forward(embeddings);
    }
}
