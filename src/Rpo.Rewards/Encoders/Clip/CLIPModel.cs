using Rpo.Diffusion.Configs;
using Rpo.Diffusion.Models.Clip;
using Rpo.Diffusion.Weights;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders.Clip;

/// <summary>
/// transformers' <c>CLIPModel</c> (openai/clip-vit-base-patch16 family): the CLIP text transformer of Rpo.Diffusion
/// (<c>text_model.*</c>, causal mask plus an optional padding mask), a ViT image tower (<c>vision_model.*</c>), bias-free
/// <c>visual_projection</c> / <c>text_projection</c> into the shared space, and <c>logit_scale</c> (log of the logit
/// multiplier). The λ-Harmonic reward's optional encoder and the CLIP-I / CLIP-T metrics' model.
/// </summary>
public sealed class CLIPModel : nn.Module, IImageTextEncoder
{
    /// <summary>Buffers that checkpoints saved before transformers 4.31 carry (openai/clip-vit-base-patch16 does);
    /// the reference recomputes them and ignores the stored copies.</summary>
    public static readonly IReadOnlySet<string> LegacyBufferKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "text_model.embeddings.position_ids",
        "vision_model.embeddings.position_ids",
    };

    // Declaration order is the reference's registration order.
    private readonly CLIPTextTransformer text_model;
    private readonly CLIPVisionTransformer vision_model;
    private readonly Linear visual_projection;
    private readonly Linear text_projection;
    private readonly Parameter logit_scale;

    public CLIPConfig Config { get; }

    public long EmbeddingDim => Config.ProjectionDim;

    /// <param name="device">where the parameters are made (the meta device builds a full-size model without memory)</param>
    /// <param name="dtype">parameter dtype; float32 when null</param>
    public CLIPModel(CLIPConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(CLIPModel))
    {
        Config = config;
        text_model = new CLIPTextTransformer(config.TextConfig, device, dtype);
        vision_model = new CLIPVisionTransformer(config.VisionConfig, device, dtype);
        visual_projection = nn.Linear(config.VisionConfig.HiddenSize, config.ProjectionDim, hasBias: false, device: device, dtype: dtype);
        text_projection = nn.Linear(config.TextConfig.HiddenSize, config.ProjectionDim, hasBias: false, device: device, dtype: dtype);
        logit_scale = nn.Parameter(tensor((float)config.LogitScaleInitValue, dtype: dtype ?? ScalarType.Float32, device: device));
        RegisterComponents();
    }

    /// <summary>
    /// Loads a transformers CLIP folder (config.json + model.safetensors) in eval mode on the CPU; every key must
    /// match, except the <see cref="LegacyBufferKeys"/> older checkpoints still store.
    /// </summary>
    public static CLIPModel FromPretrained(string folder)
        => FromFiles(Path.Combine(folder, "config.json"), Path.Combine(folder, "model.safetensors"));

    /// <summary><see cref="FromPretrained"/> with the config and weight files named.</summary>
    public static CLIPModel FromFiles(string configPath, string weightsPath)
    {
        var config = ConfigJson.Load<CLIPConfig>(configPath);
        if (!File.Exists(weightsPath))
            throw new FileNotFoundException($"CLIP weights not found: {weightsPath} (only .safetensors checkpoints are read).", weightsPath);
        var model = new CLIPModel(config);
        ModuleWeights.Load(model, weightsPath, key => LegacyBufferKeys.Contains(key) ? null : key);
        model.eval();
        return model;
    }

    /// <summary>Writes a transformers folder (config.json with model_type "clip", model.safetensors) that
    /// <see cref="FromPretrained"/> and transformers' <c>CLIPModel.from_pretrained</c> read back.</summary>
    public void SavePretrained(string folder)
    {
        Directory.CreateDirectory(folder);
        ConfigWriter.WriteTransformers(Config, Path.Combine(folder, "config.json"), nameof(CLIPModel), "clip");
        ModuleWeights.Save(this, Path.Combine(folder, "model.safetensors"));
    }

    public CLIPTextTransformer TextModel => text_model;

    public CLIPVisionTransformer VisionModel => vision_model;

    /// <summary>get_image_features: visual_projection(post_layernorm(CLS)) [N, projection_dim], unnormalised.</summary>
    public Tensor GetImageFeatures(Tensor pixelValues)
    {
        using var scope = NewDisposeScope();
        return visual_projection.forward(vision_model.forward(pixelValues).PoolerOutput).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// get_text_features: text_projection of the pooled token [N, projection_dim], unnormalised. The pooled token is the
    /// EOS position (argmax of the ids when the config's eos_token_id is the legacy 2). The ids must fit
    /// max_position_embeddings; callers cut longer ones as the reference's callers do.
    /// </summary>
    public Tensor GetTextFeatures(Tensor inputIds, Tensor? attentionMask = null)
    {
        using var scope = NewDisposeScope();
        return text_projection.forward(text_model.forward(inputIds, attentionMask).PoolerOutput).MoveToOuterDisposeScope();
    }

    /// <summary>The full forward: both towers, L2-normalised embeddings, logits = exp(logit_scale)·text·imageᵀ.</summary>
    public CLIPOutput Forward(Tensor inputIds, Tensor pixelValues, Tensor? attentionMask = null)
    {
        using var scope = NewDisposeScope();
        var vision = vision_model.forward(pixelValues);
        var text = text_model.forward(inputIds, attentionMask);
        var imageEmbeds = visual_projection.forward(vision.PoolerOutput);
        var textEmbeds = text_projection.forward(text.PoolerOutput);
        imageEmbeds = imageEmbeds / imageEmbeds.norm(-1, true, 2);
        textEmbeds = textEmbeds / textEmbeds.norm(-1, true, 2);
        var logitsPerText = matmul(textEmbeds, imageEmbeds.t()) * logit_scale.exp();
        var logitsPerImage = logitsPerText.t();
        return new CLIPOutput(
            logitsPerImage.MoveToOuterDisposeScope(),
            logitsPerText.MoveToOuterDisposeScope(),
            textEmbeds.MoveToOuterDisposeScope(),
            imageEmbeds.MoveToOuterDisposeScope(),
            text.LastHiddenState.MoveToOuterDisposeScope(),
            vision.LastHiddenState.MoveToOuterDisposeScope());
    }

    Tensor IImageTextEncoder.ImageFeatures(Tensor pixelValues) => GetImageFeatures(pixelValues);

    Tensor IImageTextEncoder.TextFeatures(Tensor inputIds, Tensor? attentionMask, Tensor? tokenTypeIds)
    {
        if (tokenTypeIds is not null && tokenTypeIds.ne(0).any().item<bool>())
            throw new ArgumentException("CLIP has no segment embeddings: token_type_ids must be null or all zero.", nameof(tokenTypeIds));
        return GetTextFeatures(inputIds, attentionMask);
    }
}
