namespace Rpo.Diffusion.Models.Clip;

/// <summary>
/// transformers' <c>CLIPTextConfig</c> as written in a text encoder's config.json (read with ConfigJson); defaults are
/// the Python class's, for keys a file leaves out.
/// </summary>
public sealed record CLIPTextConfig : IClipEncoderConfig
{
    public int VocabSize { get; init; } = 49408;
    public int HiddenSize { get; init; } = 512;
    public int IntermediateSize { get; init; } = 2048;
    public int ProjectionDim { get; init; } = 512;
    public int NumHiddenLayers { get; init; } = 12;
    public int NumAttentionHeads { get; init; } = 8;
    public int MaxPositionEmbeddings { get; init; } = 77;
    public string HiddenAct { get; init; } = "quick_gelu";
    public double LayerNormEps { get; init; } = 1e-5;
    public double AttentionDropout { get; init; }
    public int PadTokenId { get; init; } = 1;
    public int BosTokenId { get; init; } = 49406;
    /// <summary>
    /// 2 in the SD 1.x/2.x configs (a placeholder from before transformers read it), which selects the legacy pooling
    /// at argmax(input_ids); any other value pools at the first occurrence of this id.
    /// </summary>
    public int EosTokenId { get; init; } = 49407;
}
