using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders.Align;

/// <summary>
/// ALIGN's EfficientNet image tower: stem, MBConv encoder, and a pooler that is AvgPool2d(hidden_dim,
/// ceil_mode=True) (MaxPool2d for pooling_type "max"): with a kernel at least as large as the final map that is a
/// plain mean (or max) over it, counted over the map only.
/// </summary>
public sealed class AlignVisionModel : nn.Module<Tensor, (Tensor LastHiddenState, Tensor PoolerOutput)>
{
    private readonly AlignVisionEmbeddings embeddings;
    private readonly AlignVisionEncoder encoder;
    private readonly AlignVisionConfig config;

    /// <summary>Channels of the final feature map (= the image feature width).</summary>
    public int OutDim => encoder.OutDim;

    public AlignVisionModel(AlignVisionConfig config) : base(nameof(AlignVisionModel))
    {
        config.Validate();
        this.config = config;
        embeddings = new AlignVisionEmbeddings(config);
        encoder = new AlignVisionEncoder(config);
        RegisterComponents();
    }

    /// <summary>[N, C, H, W] -> (last_hidden_state [N, C', h, w], pooler_output [N, C']).</summary>
    public override (Tensor LastHiddenState, Tensor PoolerOutput) forward(Tensor pixelValues)
    {
        if (pixelValues.dim() != 4 || pixelValues.shape[1] != config.NumChannels)
            throw new ArgumentException($"ALIGN vision expects pixel values [N, {config.NumChannels}, H, W], got [{string.Join(", ", pixelValues.shape)}].");
        var lastHiddenState = encoder.forward(embeddings.forward(pixelValues));
        var pooled = config.PoolingType == "mean"
            ? nn.functional.avg_pool2d(lastHiddenState, config.HiddenDim, ceil_mode: true)
            : nn.functional.max_pool2d(lastHiddenState, config.HiddenDim, ceil_mode: true);
        return (lastHiddenState, pooled.reshape(pooled.shape[0], pooled.shape[1]));
    }
}
