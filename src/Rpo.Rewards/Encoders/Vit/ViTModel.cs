using Rpo.Diffusion.Configs;
using Rpo.Diffusion.Weights;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders.Vit;

/// <summary>
/// transformers' <c>ViTModel</c> (the DINO ViT-S/16 feature extractor of the DreamBench DINO metric):
/// patch embedding + [CLS] + positions, pre-LN encoder, final <c>layernorm</c>, optional <c>pooler</c>.
/// Parameter names are the transformers state_dict keys.
/// </summary>
public sealed class ViTModel : nn.Module<Tensor, Tensor>
{
    private readonly ViTEmbeddings embeddings;
    private readonly ViTEncoder encoder;
    private readonly LayerNorm layernorm;
    private readonly ViTPooler? pooler;

    public ViTConfig Config { get; }

    public bool HasPooler => pooler is not null;

    public ViTModel(ViTConfig config, bool addPoolingLayer = false) : base(nameof(ViTModel))
    {
        config.Validate();
        Config = config;
        embeddings = new ViTEmbeddings(config);
        encoder = new ViTEncoder(config);
        layernorm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        pooler = addPoolingLayer ? new ViTPooler(config) : null;
        RegisterComponents();
    }

    /// <summary>
    /// Loads a transformers ViTModel folder (config.json + model.safetensors) in eval mode. Without
    /// <paramref name="addPoolingLayer"/> the checkpoint's <c>pooler.*</c> weights (present in facebook/dino-vits16)
    /// are dropped, as the DINO metric only reads the CLS token; every other key must match.
    /// </summary>
    public static ViTModel FromPretrained(string folder, bool addPoolingLayer = false)
        => FromFiles(Path.Combine(folder, "config.json"), Path.Combine(folder, "model.safetensors"), addPoolingLayer);

    /// <summary><see cref="FromPretrained"/> with the config and weight files named.</summary>
    public static ViTModel FromFiles(string configPath, string weightsPath, bool addPoolingLayer = false)
    {
        var config = ConfigJson.Load<ViTConfig>(configPath);
        if (!File.Exists(weightsPath))
            throw new FileNotFoundException($"ViT weights not found: {weightsPath} (only .safetensors checkpoints are read).", weightsPath);
        var model = new ViTModel(config, addPoolingLayer);
        ModuleWeights.Load(model, weightsPath, key => !addPoolingLayer && key.StartsWith("pooler.", StringComparison.Ordinal) ? null : key);
        model.eval();
        return model;
    }

    /// <summary>[N, C, H, W] -> last_hidden_state [N, 1 + patches, hidden] (after the final layernorm).</summary>
    public override Tensor forward(Tensor pixelValues)
        => layernorm.forward(encoder.forward(embeddings.forward(pixelValues)));

    /// <summary>The DINO feature: last_hidden_state[:, 0] ([N, hidden]).</summary>
    public Tensor ClsFeatures(Tensor pixelValues)
    {
        using var scope = NewDisposeScope();
        return forward(pixelValues)[.., 0].contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>tanh(dense(CLS)) of the optional pooler; throws when the model was built without one.</summary>
    public Tensor PoolerOutput(Tensor lastHiddenState)
        => pooler is null ? throw new InvalidOperationException("This ViTModel was built without a pooling layer.") : pooler.forward(lastHiddenState);
}
