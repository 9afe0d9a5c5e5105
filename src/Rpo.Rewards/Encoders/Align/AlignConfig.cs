namespace Rpo.Rewards.Encoders.Align;

/// <summary>
/// transformers' <c>AlignConfig</c> (config.json of kakaobrain/align-base and its family). transformers writes
/// the nested configs as differences from the class defaults, so every default below is the 4.36 class default.
/// </summary>
public sealed record AlignConfig
{
    public AlignTextConfig TextConfig { get; init; } = new();
    public AlignVisionConfig VisionConfig { get; init; } = new();
    public int ProjectionDim { get; init; } = 640;
    public double TemperatureInitValue { get; init; } = 1.0;
}

/// <summary><c>AlignTextConfig</c>: a BERT encoder (defaults are bert-base's).</summary>
public sealed record AlignTextConfig
{
    public int VocabSize { get; init; } = 30522;
    public int HiddenSize { get; init; } = 768;
    public int NumHiddenLayers { get; init; } = 12;
    public int NumAttentionHeads { get; init; } = 12;
    public int IntermediateSize { get; init; } = 3072;
    public string HiddenAct { get; init; } = "gelu";
    public int MaxPositionEmbeddings { get; init; } = 512;
    public int TypeVocabSize { get; init; } = 2;
    public double LayerNormEps { get; init; } = 1e-12;
    public int PadTokenId { get; init; }
    public string PositionEmbeddingType { get; init; } = "absolute";

    public void Validate()
    {
        if (HiddenSize % NumAttentionHeads != 0)
            throw new ArgumentException($"AlignTextConfig: hidden_size {HiddenSize} is not a multiple of num_attention_heads {NumAttentionHeads}.");
        if (PositionEmbeddingType != "absolute")
            throw new NotSupportedException($"AlignTextConfig: position_embedding_type '{PositionEmbeddingType}' is not supported (only 'absolute').");
    }
}

/// <summary><c>AlignVisionConfig</c>: an EfficientNet (defaults are EfficientNet-B7's, as in transformers).</summary>
public sealed record AlignVisionConfig
{
    public int NumChannels { get; init; } = 3;
    public int ImageSize { get; init; } = 600;
    public double WidthCoefficient { get; init; } = 2.0;
    public double DepthCoefficient { get; init; } = 3.1;
    public int DepthDivisor { get; init; } = 8;
    public IReadOnlyList<int> KernelSizes { get; init; } = [3, 3, 5, 3, 5, 5, 3];
    public IReadOnlyList<int> InChannels { get; init; } = [32, 16, 24, 40, 80, 112, 192];
    public IReadOnlyList<int> OutChannels { get; init; } = [16, 24, 40, 80, 112, 192, 320];
    public IReadOnlyList<int> DepthwisePadding { get; init; } = [];
    public IReadOnlyList<int> Strides { get; init; } = [1, 2, 2, 2, 1, 2, 1];
    public IReadOnlyList<int> NumBlockRepeats { get; init; } = [1, 2, 2, 3, 3, 4, 1];
    public IReadOnlyList<int> ExpandRatios { get; init; } = [1, 6, 6, 6, 6, 6, 6];
    public double SqueezeExpansionRatio { get; init; } = 0.25;
    public string HiddenAct { get; init; } = "swish";
    public int HiddenDim { get; init; } = 2560;
    public string PoolingType { get; init; } = "mean";
    public double BatchNormEps { get; init; } = 1e-3;
    public double BatchNormMomentum { get; init; } = 0.99;

    /// <summary>
    /// round_filters: channels x width_coefficient, rounded to a multiple of depth_divisor, never more than 10%
    /// below the scaled value.
    /// </summary>
    public int RoundFilters(int channels)
    {
        var divisor = DepthDivisor;
        var scaled = channels * WidthCoefficient;
        var rounded = Math.Max(divisor, (int)(scaled + divisor / 2.0) / divisor * divisor);
        if (rounded < 0.9 * scaled)
            rounded += divisor;
        return rounded;
    }

    /// <summary>round_repeats: ceil(depth_coefficient x repeats).</summary>
    public int RoundRepeats(int repeats) => (int)Math.Ceiling(DepthCoefficient * repeats);

    public void Validate()
    {
        var n = InChannels.Count;
        if (OutChannels.Count != n || KernelSizes.Count != n || Strides.Count != n || NumBlockRepeats.Count != n || ExpandRatios.Count != n)
            throw new ArgumentException("AlignVisionConfig: in_channels, out_channels, kernel_sizes, strides, num_block_repeats and expand_ratios must have the same length.");
        if (PoolingType is not ("mean" or "max"))
            throw new ArgumentException($"AlignVisionConfig: pooling_type must be one of ['mean', 'max'], got '{PoolingType}'.");
        foreach (var s in Strides)
            if (s is not (1 or 2))
                throw new NotSupportedException($"AlignVisionConfig: stride {s} is not supported (EfficientNet blocks use 1 or 2).");
    }
}
