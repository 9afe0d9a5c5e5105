using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders.Align;

/// <summary>
/// What <c>AlignModel.forward</c> returns: logits_per_image [N_img, N_txt], logits_per_text [N_txt, N_img],
/// the L2-normalised text/image embeddings, and the two towers' last hidden states (vision NCHW, text [N, L, H]).
/// </summary>
public sealed record AlignOutput(
    Tensor LogitsPerImage,
    Tensor LogitsPerText,
    Tensor TextEmbeds,
    Tensor ImageEmbeds,
    Tensor TextLastHiddenState,
    Tensor VisionLastHiddenState) : IDisposable
{
    public void Dispose()
    {
        LogitsPerImage.Dispose();
        LogitsPerText.Dispose();
        TextEmbeds.Dispose();
        ImageEmbeds.Dispose();
        TextLastHiddenState.Dispose();
        VisionLastHiddenState.Dispose();
    }
}
