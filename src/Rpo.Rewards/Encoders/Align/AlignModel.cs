using Rpo.Diffusion.Configs;
using Rpo.Diffusion.Weights;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders.Align;

/// <summary>
/// transformers' <c>AlignModel</c> (kakaobrain/align-base family), the encoder of RPO's λ-Harmonic reward:
/// EfficientNet image tower whose pooled map is the image feature, BERT text tower whose [CLS] state goes through
/// <c>text_projection</c>, and a learned <c>temperature</c> dividing the cosine logits.
/// </summary>
public sealed class AlignModel : nn.Module, IImageTextEncoder
{
    private readonly AlignTextModel text_model;
    private readonly AlignVisionModel vision_model;
    private readonly Linear text_projection;
    private readonly Parameter temperature;

    public AlignConfig Config { get; }

    public long EmbeddingDim => Config.ProjectionDim;

    public AlignModel(AlignConfig config) : base(nameof(AlignModel))
    {
        Config = config;
        text_model = new AlignTextModel(config.TextConfig);
        vision_model = new AlignVisionModel(config.VisionConfig);
        // The image feature is the raw pooled map, so both sides only share a space when the widths agree.
        if (vision_model.OutDim != config.ProjectionDim)
            throw new ArgumentException($"AlignConfig: the vision tower ends with {vision_model.OutDim} channels but projection_dim is {config.ProjectionDim}; ALIGN's image features are not projected, so they must match.");
        text_projection = nn.Linear(config.TextConfig.HiddenSize, config.ProjectionDim);
        temperature = nn.Parameter(tensor((float)config.TemperatureInitValue));
        RegisterComponents();
    }

    /// <summary>
    /// Loads a transformers ALIGN folder (config.json + model.safetensors) in eval mode; every key must match,
    /// except <c>text_model.embeddings.position_ids</c>, the arange buffer that checkpoints converted before
    /// transformers 4.31 (kakaobrain/align-base among them) still store and transformers now ignores on load.
    /// </summary>
    public static AlignModel FromPretrained(string folder)
        => FromFiles(Path.Combine(folder, "config.json"), Path.Combine(folder, "model.safetensors"));

    /// <summary><see cref="FromPretrained"/> with the config and weight files named.</summary>
    public static AlignModel FromFiles(string configPath, string weightsPath)
    {
        var config = ConfigJson.Load<AlignConfig>(configPath);
        if (!File.Exists(weightsPath))
            throw new FileNotFoundException($"ALIGN weights not found: {weightsPath} (only .safetensors checkpoints are read).", weightsPath);
        var model = new AlignModel(config);
        ModuleWeights.Load(model, weightsPath, key => key == "text_model.embeddings.position_ids" ? null : key);
        model.eval();
        return model;
    }

    public AlignTextModel TextModel => text_model;

    public AlignVisionModel VisionModel => vision_model;

    /// <summary>get_image_features: the vision pooler output [N, projection_dim], unnormalised.</summary>
    public Tensor GetImageFeatures(Tensor pixelValues)
    {
        using var scope = NewDisposeScope();
        return vision_model.forward(pixelValues).PoolerOutput.MoveToOuterDisposeScope();
    }

    /// <summary>get_text_features: text_projection(last_hidden_state[:, 0]) [N, projection_dim], unnormalised.</summary>
    public Tensor GetTextFeatures(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null)
    {
        using var scope = NewDisposeScope();
        var last = text_model.forward(inputIds, attentionMask, tokenTypeIds);
        return text_projection.forward(last[.., 0, ..]).MoveToOuterDisposeScope();
    }

    /// <summary>The full forward: both towers, normalised embeddings, logits = text·imageᵀ / temperature.</summary>
    public AlignOutput Forward(Tensor inputIds, Tensor pixelValues, Tensor? attentionMask = null, Tensor? tokenTypeIds = null)
    {
        using var scope = NewDisposeScope();
        var (visionLast, imagePooled) = vision_model.forward(pixelValues);
        var textLast = text_model.forward(inputIds, attentionMask, tokenTypeIds);
        var textProjected = text_projection.forward(textLast[.., 0, ..]);
        var imageEmbeds = imagePooled / imagePooled.norm(-1, true, 2);
        var textEmbeds = textProjected / textProjected.norm(-1, true, 2);
        var logitsPerText = matmul(textEmbeds, imageEmbeds.t()) / temperature;
        var logitsPerImage = logitsPerText.t();
        var output = new AlignOutput(
            logitsPerImage.MoveToOuterDisposeScope(),
            logitsPerText.MoveToOuterDisposeScope(),
            textEmbeds.MoveToOuterDisposeScope(),
            imageEmbeds.MoveToOuterDisposeScope(),
            textLast.MoveToOuterDisposeScope(),
            visionLast.MoveToOuterDisposeScope());
        return output;
    }

    Tensor IImageTextEncoder.ImageFeatures(Tensor pixelValues) => GetImageFeatures(pixelValues);

    Tensor IImageTextEncoder.TextFeatures(Tensor inputIds, Tensor? attentionMask, Tensor? tokenTypeIds)
        => GetTextFeatures(inputIds, attentionMask, tokenTypeIds);
}
