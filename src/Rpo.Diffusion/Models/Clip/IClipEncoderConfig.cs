namespace Rpo.Diffusion.Models.Clip;

/// <summary>
/// What <see cref="CLIPEncoder"/> and its layers read from a config: the fields CLIPTextConfig and CLIPVisionConfig
/// share, so both towers build the same encoder.
/// </summary>
public interface IClipEncoderConfig
{
    int HiddenSize { get; }
    int IntermediateSize { get; }
    int NumHiddenLayers { get; }
    int NumAttentionHeads { get; }
    /// <summary>transformers' ACT2FN name: "quick_gelu" (SD 1.x, OpenAI CLIP) or "gelu" (SD 2.x / OpenCLIP).</summary>
    string HiddenAct { get; }
    double LayerNormEps { get; }
}
