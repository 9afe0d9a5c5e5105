using Rpo.Diffusion.Models.Clip;

namespace Rpo.Rewards.Encoders.Clip;

/// <summary>
/// transformers' <c>CLIPConfig</c> (config.json of openai/clip-vit-base-patch16 and its family). The nested configs
/// are written as differences from the class defaults, so every default here is the transformers 4.36 class default.
/// </summary>
public sealed record CLIPConfig
{
    public CLIPTextConfig TextConfig { get; init; } = new();
    public CLIPVisionConfig VisionConfig { get; init; } = new();
    public int ProjectionDim { get; init; } = 512;
    public double LogitScaleInitValue { get; init; } = 2.6592;
}

/// <summary><c>CLIPVisionConfig</c>: the ViT image tower (defaults are ViT-B/32's, as in transformers).</summary>
public sealed record CLIPVisionConfig : IClipEncoderConfig
{
    public int HiddenSize { get; init; } = 768;
    public int IntermediateSize { get; init; } = 3072;
    public int ProjectionDim { get; init; } = 512;
    public int NumHiddenLayers { get; init; } = 12;
    public int NumAttentionHeads { get; init; } = 12;
    public int NumChannels { get; init; } = 3;
    public int ImageSize { get; init; } = 224;
    public int PatchSize { get; init; } = 32;
    public string HiddenAct { get; init; } = "quick_gelu";
    public double LayerNormEps { get; init; } = 1e-5;

    /// <summary>Patches per side squared, plus the class token.</summary>
    public int NumPositions => (ImageSize / PatchSize) * (ImageSize / PatchSize) + 1;

    public void Validate()
    {
        if (ImageSize % PatchSize != 0)
            throw new ArgumentException($"CLIPVisionConfig: image_size {ImageSize} is not a multiple of patch_size {PatchSize}.");
        if (HiddenSize % NumAttentionHeads != 0)
            throw new ArgumentException($"CLIPVisionConfig: hidden_size {HiddenSize} is not a multiple of num_attention_heads {NumAttentionHeads}.");
    }
}
