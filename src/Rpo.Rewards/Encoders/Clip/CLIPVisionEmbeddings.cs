using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders.Clip;

/// <summary>
/// transformers' <c>CLIPVisionEmbeddings</c>: a bias-free patch convolution, the learned class token in front, and a
/// learned position embedding per token. The reference's <c>position_ids</c> buffer is always
/// <c>arange(num_positions)</c>, so positions are made here and a stored copy is dropped on load.
/// </summary>
public sealed class CLIPVisionEmbeddings : nn.Module<Tensor, Tensor>
{
    // Declaration order is the reference's state_dict order.
    private readonly Parameter class_embedding;
    private readonly Conv2d patch_embedding;
    private readonly Embedding position_embedding;
    private readonly int _numPositions;
    private readonly int _imageSize;

    public CLIPVisionEmbeddings(CLIPVisionConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(CLIPVisionEmbeddings))
    {
        config.Validate();
        class_embedding = nn.Parameter(randn(config.HiddenSize, dtype: dtype ?? ScalarType.Float32, device: device));
        patch_embedding = nn.Conv2d(config.NumChannels, config.HiddenSize, config.PatchSize, stride: config.PatchSize, bias: false, device: device, dtype: dtype);
        _numPositions = config.NumPositions;
        _imageSize = config.ImageSize;
        position_embedding = nn.Embedding(_numPositions, config.HiddenSize, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>[N, C, H, W] pixels -> [N, 1 + patches, hidden].</summary>
    public override Tensor forward(Tensor pixelValues)
    {
        if (pixelValues.dim() != 4 || pixelValues.shape[2] != _imageSize || pixelValues.shape[3] != _imageSize)
            throw new ArgumentException($"pixel_values must be [N, C, {_imageSize}, {_imageSize}] (the config's image_size), not [{string.Join(", ", pixelValues.shape)}].", nameof(pixelValues));
        var weight = patch_embedding.weight!;
        var patches = patch_embedding.forward(pixelValues.to(weight.dtype).to(weight.device)).flatten(2).transpose(1, 2);
        long batch = patches.shape[0];
        var cls = class_embedding.expand(batch, 1, -1);
        var embeddings = cat([cls, patches], 1);
        var positions = arange(_numPositions, dtype: ScalarType.Int64, device: weight.device).unsqueeze(0);
        return embeddings + position_embedding.forward(positions);
    }
}
