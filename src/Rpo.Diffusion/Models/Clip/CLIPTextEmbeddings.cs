using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Clip;

/// <summary>
/// transformers' <c>CLIPTextEmbeddings</c>: token embedding plus learned position embedding. The reference's
/// <c>position_ids</c> buffer is non-persistent (not in its state_dict) and always <c>arange(max_positions)</c>, so
/// positions are made here on the fly and the stale copy some published checkpoints still carry is dropped on load.
/// </summary>
public sealed class CLIPTextEmbeddings : nn.Module
{
    readonly Embedding token_embedding;
    readonly Embedding position_embedding;
    readonly int _maxPositions;

    public CLIPTextEmbeddings(CLIPTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(CLIPTextEmbeddings))
    {
        token_embedding = nn.Embedding(config.VocabSize, config.HiddenSize, device: device, dtype: dtype);
        position_embedding = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize, device: device, dtype: dtype);
        _maxPositions = config.MaxPositionEmbeddings;
        RegisterComponents();
    }

    /// <summary>Where the embedding weights are, so inputs can follow the model.</summary>
    public Device Device => token_embedding.weight!.device;

    /// <param name="inputIds">[batch, tokens] int64</param>
    /// <param name="positionIds">[1 or batch, tokens]; null for 0..tokens-1</param>
    public Tensor forward(Tensor inputIds, Tensor? positionIds = null)
    {
        long tokens = inputIds.shape[^1];
        if (tokens > _maxPositions)
            throw new ArgumentException($"{tokens} tokens exceed max_position_embeddings {_maxPositions}: truncate the input ids.", nameof(inputIds));
        positionIds ??= arange(tokens, dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0);
        return token_embedding.forward(inputIds) + position_embedding.forward(positionIds);
    }
}
