using Rpo.Diffusion.Models.Clip;
using Rpo.Diffusion.Tokenizers;
using static TorchSharp.torch;

namespace Rpo.Training.Models;

/// <summary>
/// The frozen text encoder as the reference's training uses it: the prompt padded to the tokenizer's max length and
/// truncated, no attention mask (<c>text_encoder_use_attention_mask</c> is off by default), <c>last_hidden_state</c>.
/// </summary>
public sealed class ClipPromptEncoder : IPromptEncoder
{
    readonly ClipTokenizer tokenizer;
    readonly CLIPTextModel textEncoder;

    public ClipPromptEncoder(ClipTokenizer tokenizer, CLIPTextModel textEncoder)
    {
        this.tokenizer = tokenizer;
        this.textEncoder = textEncoder;
        textEncoder.eval();
        foreach (var p in textEncoder.parameters()) p.requires_grad = false;
    }

    public Tensor Encode(string prompt)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var device = textEncoder.parameters().First().device;
        var ids = tokenizer.EncodeBatch([prompt], ClipPadding.MaxLength, truncation: true).InputIdsTensor(device);
        return textEncoder.PromptEmbeddings(ids).to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}
