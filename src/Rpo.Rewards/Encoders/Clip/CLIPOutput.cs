using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders.Clip;

/// <summary>
/// What <c>CLIPModel.forward</c> returns: logits_per_image [N_img, N_txt], logits_per_text [N_txt, N_img], the
/// L2-normalised projections, and each tower's last hidden state.
/// </summary>
public sealed record CLIPOutput(
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
