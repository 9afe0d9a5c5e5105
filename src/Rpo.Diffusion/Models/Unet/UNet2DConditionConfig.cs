using System.Text.Json;
using Rpo.Diffusion.Configs;

namespace Rpo.Diffusion.Models.Unet;

/// <summary>
/// <c>config.json</c> of a diffusers <c>UNet2DConditionModel</c> (keys in snake_case, defaults as diffusers 0.25.1's
/// constructor, so short hub configs that omit keys read the same). Every key is listed, also those this port does
/// not implement, so that <see cref="EnsureSupported"/> can refuse a value it would otherwise silently ignore.
/// </summary>
public sealed record UNet2DConditionConfig
{
    public OneOrList<int>? SampleSize { get; init; }
    public int InChannels { get; init; } = 4;
    public int OutChannels { get; init; } = 4;
    public bool CenterInputSample { get; init; }
    public bool FlipSinToCos { get; init; } = true;
    public int FreqShift { get; init; }
    public IReadOnlyList<string> DownBlockTypes { get; init; } =
        ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"];
    public string? MidBlockType { get; init; } = "UNetMidBlock2DCrossAttn";
    public IReadOnlyList<string> UpBlockTypes { get; init; } =
        ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"];
    public OneOrList<bool> OnlyCrossAttention { get; init; } = false;
    public IReadOnlyList<int> BlockOutChannels { get; init; } = [320, 640, 1280, 1280];
    public OneOrList<int> LayersPerBlock { get; init; } = 2;
    public int DownsamplePadding { get; init; } = 1;
    public double MidBlockScaleFactor { get; init; } = 1.0;
    public double Dropout { get; init; }
    public string ActFn { get; init; } = "silu";
    public int? NormNumGroups { get; init; } = 32;
    public double NormEps { get; init; } = 1e-5;
    public OneOrList<int> CrossAttentionDim { get; init; } = 1280;
    public OneOrList<int> TransformerLayersPerBlock { get; init; } = 1;
    public JsonElement? ReverseTransformerLayersPerBlock { get; init; }
    public int? EncoderHidDim { get; init; }
    public string? EncoderHidDimType { get; init; }
    /// <summary>Despite the name, the number of attention heads per block (diffusers issue 2011) while <see cref="NumAttentionHeads"/> is null.</summary>
    public OneOrList<int> AttentionHeadDim { get; init; } = 8;
    public OneOrList<int>? NumAttentionHeads { get; init; }
    public bool DualCrossAttention { get; init; }
    public bool UseLinearProjection { get; init; }
    public string? ClassEmbedType { get; init; }
    public string? AdditionEmbedType { get; init; }
    public int? AdditionTimeEmbedDim { get; init; }
    public int? NumClassEmbeds { get; init; }
    public bool UpcastAttention { get; init; }
    public string ResnetTimeScaleShift { get; init; } = "default";
    public bool ResnetSkipTimeAct { get; init; }
    /// <summary>Read for completeness: diffusers 0.25.1 hands it only to block types this port does not build, so it never changes these models.</summary>
    public double ResnetOutScaleFactor { get; init; } = 1.0;
    public string TimeEmbeddingType { get; init; } = "positional";
    public int? TimeEmbeddingDim { get; init; }
    public string? TimeEmbeddingActFn { get; init; }
    public string? TimestepPostAct { get; init; }
    public int? TimeCondProjDim { get; init; }
    public int ConvInKernel { get; init; } = 3;
    public int ConvOutKernel { get; init; } = 3;
    public int? ProjectionClassEmbeddingsInputDim { get; init; }
    public string AttentionType { get; init; } = "default";
    public bool ClassEmbeddingsConcat { get; init; }
    public bool? MidBlockOnlyCrossAttention { get; init; }
    public string? CrossAttentionNorm { get; init; }
    public int AdditionEmbedTypeNumHeads { get; init; } = 64;

    public static UNet2DConditionConfig Load(string path) => ConfigJson.Load<UNet2DConditionConfig>(path);

    public static UNet2DConditionConfig Parse(string json) => ConfigJson.Parse<UNet2DConditionConfig>(json);

    /// <summary>
    /// Throws <see cref="NotSupportedException"/> naming the first key whose value asks for a feature this port
    /// does not have (class/addition embeddings, other block types, fourier time embedding, …), and
    /// <see cref="InvalidDataException"/> for inconsistent values, as diffusers' constructor does.
    /// </summary>
    public void EnsureSupported()
    {
        Require(ClassEmbedType is null, "class_embed_type", ClassEmbedType);
        Require(NumClassEmbeds is null, "num_class_embeds", NumClassEmbeds);
        Require(ProjectionClassEmbeddingsInputDim is null, "projection_class_embeddings_input_dim", ProjectionClassEmbeddingsInputDim);
        Require(!ClassEmbeddingsConcat, "class_embeddings_concat", ClassEmbeddingsConcat);
        Require(AdditionEmbedType is null, "addition_embed_type", AdditionEmbedType);
        Require(EncoderHidDim is null, "encoder_hid_dim", EncoderHidDim);
        Require(EncoderHidDimType is null, "encoder_hid_dim_type", EncoderHidDimType);
        Require(TimeEmbeddingType == "positional", "time_embedding_type", TimeEmbeddingType);
        Require(TimeEmbeddingActFn is null, "time_embedding_act_fn", TimeEmbeddingActFn);
        Require(TimestepPostAct is null, "timestep_post_act", TimestepPostAct);
        Require(TimeCondProjDim is null, "time_cond_proj_dim", TimeCondProjDim);
        Require(!DualCrossAttention, "dual_cross_attention", DualCrossAttention);
        Require(AttentionType == "default", "attention_type", AttentionType);
        Require(ResnetTimeScaleShift == "default", "resnet_time_scale_shift", ResnetTimeScaleShift);
        Require(!ResnetSkipTimeAct, "resnet_skip_time_act", ResnetSkipTimeAct);
        Require(CrossAttentionNorm is null, "cross_attention_norm", CrossAttentionNorm);
        Require(NormNumGroups is not null, "norm_num_groups", "null");
        Require(ReverseTransformerLayersPerBlock is not { ValueKind: not JsonValueKind.Null }, "reverse_transformer_layers_per_block",
            ReverseTransformerLayersPerBlock);
        // diffusers 0.25.1 itself rejects num_attention_heads (the head count is read from attention_head_dim).
        Require(NumAttentionHeads is null, "num_attention_heads", NumAttentionHeads);
        Require(MidBlockType is null or "UNetMidBlock2DCrossAttn", "mid_block_type", MidBlockType);
        foreach (var type in DownBlockTypes)
            Require(BlockKind(type) is "CrossAttnDownBlock2D" or "DownBlock2D", "down_block_types", type);
        foreach (var type in UpBlockTypes)
            Require(BlockKind(type) is "CrossAttnUpBlock2D" or "UpBlock2D", "up_block_types", type);
        Require(ConvInKernel % 2 == 1, "conv_in_kernel", ConvInKernel);
        Require(ConvOutKernel % 2 == 1, "conv_out_kernel", ConvOutKernel);

        int blocks = DownBlockTypes.Count;
        if (blocks == 0) throw new InvalidDataException("down_block_types is empty.");
        if (UpBlockTypes.Count != blocks)
            throw new InvalidDataException($"down_block_types has {blocks} entries but up_block_types {UpBlockTypes.Count}.");
        if (BlockOutChannels.Count != blocks)
            throw new InvalidDataException($"block_out_channels has {BlockOutChannels.Count} entries for {blocks} blocks.");
        OnlyCrossAttention.Expand(blocks, "only_cross_attention");
        LayersPerBlock.Expand(blocks, "layers_per_block");
        CrossAttentionDim.Expand(blocks, "cross_attention_dim");
        TransformerLayersPerBlock.Expand(blocks, "transformer_layers_per_block");
        var heads = AttentionHeadDim.Expand(blocks, "attention_head_dim");
        for (int i = 0; i < blocks; i++)
            if (BlockOutChannels[i] % heads[i] != 0)
                throw new InvalidDataException($"block_out_channels[{i}] = {BlockOutChannels[i]} does not split into {heads[i]} heads (attention_head_dim).");
    }

    /// <summary>diffusers' <c>get_down_block</c>/<c>get_up_block</c> accept the legacy "UNetRes" prefix.</summary>
    internal static string BlockKind(string type) => type.StartsWith("UNetRes", StringComparison.Ordinal) ? type[7..] : type;

    static void Require(bool supported, string key, object? value)
    {
        if (!supported)
            throw new NotSupportedException($"UNet2DConditionModel config: {key} = {Format(value)} is not supported by this implementation.");
    }

    static string Format(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        bool b => b ? "true" : "false",
        _ => value.ToString() ?? "null",
    };
}
