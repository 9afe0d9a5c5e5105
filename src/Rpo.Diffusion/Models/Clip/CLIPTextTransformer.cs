using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Clip;

/// <summary>What the CLIP text tower returns (transformers' <c>BaseModelOutputWithPooling</c>).</summary>
/// <param name="LastHiddenState">[batch, tokens, hidden], after <c>final_layer_norm</c></param>
/// <param name="PoolerOutput">[batch, hidden]: <c>LastHiddenState</c> at each row's EOS position</param>
/// <param name="HiddenStates">when asked for: embeddings output, then each layer's output, all before
/// <c>final_layer_norm</c> (layers + 1 tensors)</param>
public sealed record CLIPTextModelOutput(Tensor LastHiddenState, Tensor PoolerOutput, IReadOnlyList<Tensor>? HiddenStates);

/// <summary>
/// transformers' <c>CLIPTextTransformer</c>: embeddings, the encoder under a causal mask (plus an optional padding
/// mask), <c>final_layer_norm</c>, and the pooled EOS token.
/// </summary>
public sealed class CLIPTextTransformer : nn.Module
{
    readonly CLIPTextEmbeddings embeddings;
    readonly CLIPEncoder encoder;
    readonly LayerNorm final_layer_norm;
    readonly int _eosTokenId;

    public CLIPTextTransformer(CLIPTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(CLIPTextTransformer))
    {
        embeddings = new CLIPTextEmbeddings(config, device, dtype);
        encoder = new CLIPEncoder(config, device, dtype);
        final_layer_norm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device, dtype: dtype);
        _eosTokenId = config.EosTokenId;
        RegisterComponents();
    }

    public LayerNorm FinalLayerNorm => final_layer_norm;

    public CLIPTextModelOutput forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null, bool outputHiddenStates = false)
    {
        if (inputIds.dim() != 2) throw new ArgumentException($"input_ids must be [batch, tokens], not {string.Join("x", inputIds.shape)}.", nameof(inputIds));
        // Token ids are usually made on the CPU by the tokenizer; they follow the model to its device.
        var device = embeddings.Device;
        if (inputIds.device != device) inputIds = inputIds.to(device);
        var hidden = embeddings.forward(inputIds, positionIds);
        var causal = ClipAttentionMasks.Causal(inputIds.shape[1], hidden.dtype, hidden.device);
        var padding = attentionMask is null ? null : ClipAttentionMasks.Padding(attentionMask.to(hidden.device), hidden.dtype);
        var encoded = encoder.forward(hidden, padding, causal, outputHiddenStates);
        var last = final_layer_norm.forward(encoded.LastHiddenState);
        return new CLIPTextModelOutput(last, Pool(last, inputIds), encoded.HiddenStates);
    }

    // eos_token_id 2 is the placeholder the SD configs carry from before transformers honoured it: the reference then
    // takes the highest id (EOS is the last vocabulary entry); otherwise the first position holding eos_token_id.
    Tensor Pool(Tensor last, Tensor inputIds)
    {
        var ids = inputIds.to_type(ScalarType.Int32).to(last.device);
        var positions = _eosTokenId == 2 ? ids.argmax(-1) : ids.eq(_eosTokenId).to_type(ScalarType.Int32).argmax(-1);
        var rows = arange(last.shape[0], dtype: ScalarType.Int64, device: last.device);
        return last.index(rows, positions);
    }
}
