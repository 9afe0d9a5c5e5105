namespace Rpo.Rewards.Encoders.Vit;

/// <summary>
/// transformers' <c>ViTConfig</c> (config.json of a ViTModel, e.g. facebook/dino-vits16); defaults are the
/// class defaults of transformers 4.36, used for keys the file leaves out.
/// </summary>
public sealed record ViTConfig
{
    public int HiddenSize { get; init; } = 768;
    public int NumHiddenLayers { get; init; } = 12;
    public int NumAttentionHeads { get; init; } = 12;
    public int IntermediateSize { get; init; } = 3072;
    public string HiddenAct { get; init; } = "gelu";
    public double LayerNormEps { get; init; } = 1e-12;
    public int ImageSize { get; init; } = 224;
    public int PatchSize { get; init; } = 16;
    public int NumChannels { get; init; } = 3;
    public bool QkvBias { get; init; } = true;

    public int NumPatches => (ImageSize / PatchSize) * (ImageSize / PatchSize);

    public void Validate()
    {
        if (HiddenSize % NumAttentionHeads != 0)
            throw new ArgumentException($"ViTConfig: hidden_size {HiddenSize} is not a multiple of num_attention_heads {NumAttentionHeads}.");
        if (PatchSize <= 0 || ImageSize % PatchSize != 0)
            throw new ArgumentException($"ViTConfig: image_size {ImageSize} is not a multiple of patch_size {PatchSize}.");
    }
}
