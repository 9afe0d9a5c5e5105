using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders.Vit;

/// <summary>Non-overlapping patches by a stride = kernel = patch_size convolution, flattened to [N, patches, hidden].</summary>
public sealed class ViTPatchEmbeddings : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d projection;
    private readonly ViTConfig config;

    public ViTPatchEmbeddings(ViTConfig config) : base(nameof(ViTPatchEmbeddings))
    {
        this.config = config;
        projection = nn.Conv2d(config.NumChannels, config.HiddenSize, config.PatchSize, stride: config.PatchSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor pixelValues)
    {
        if (pixelValues.dim() != 4 || pixelValues.shape[1] != config.NumChannels)
            throw new ArgumentException($"ViT expects pixel values [N, {config.NumChannels}, H, W], got [{string.Join(", ", pixelValues.shape)}].");
        // Like transformers without interpolate_pos_encoding: the position table only fits the configured size.
        if (pixelValues.shape[2] != config.ImageSize || pixelValues.shape[3] != config.ImageSize)
            throw new ArgumentException($"Input image size ({pixelValues.shape[2]}*{pixelValues.shape[3]}) doesn't match model ({config.ImageSize}*{config.ImageSize}).");
        return projection.forward(pixelValues).flatten(2).transpose(1, 2);
    }
}
