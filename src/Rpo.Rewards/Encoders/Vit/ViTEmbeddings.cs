using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders.Vit;

/// <summary>[CLS] token prepended to the patch embeddings, plus learned position embeddings.</summary>
public sealed class ViTEmbeddings : nn.Module<Tensor, Tensor>
{
    private readonly Parameter cls_token;
    private readonly Parameter position_embeddings;
    private readonly ViTPatchEmbeddings patch_embeddings;

    public ViTEmbeddings(ViTConfig config) : base(nameof(ViTEmbeddings))
    {
        cls_token = nn.Parameter(zeros(1, 1, config.HiddenSize));
        position_embeddings = nn.Parameter(zeros(1, config.NumPatches + 1, config.HiddenSize));
        patch_embeddings = new ViTPatchEmbeddings(config);
        RegisterComponents();
    }

    public override Tensor forward(Tensor pixelValues)
    {
        var patches = patch_embeddings.forward(pixelValues);
        var cls = cls_token.expand(patches.shape[0], -1, -1);
        return cat([cls, patches], 1) + position_embeddings;
    }
}
