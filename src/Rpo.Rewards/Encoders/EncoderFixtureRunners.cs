using Rpo.Diffusion.Parity;
using Rpo.Diffusion.Weights;
using Rpo.Rewards.Encoders.Align;
using Rpo.Rewards.Encoders.Vit;
using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders;

/// <summary>
/// Runs <c>transformers.ViTModel</c> cases: <c>o = vit(pixel_values)</c>; produces last_hidden_state, cls
/// (= last_hidden_state[:, 0]) and, when the checkpoint carries a pooler, pooler_output.
/// </summary>
public sealed class ViTFixtureRunner : IFixtureRunner
{
    public IReadOnlyCollection<string> ModelClasses { get; } = ["transformers.ViTModel"];

    public IReadOnlyDictionary<string, Tensor> Run(FixtureCase fixture)
    {
        var (configPath, weightsPath) = ModelFiles(fixture);
        bool hasPooler;
        using (var file = SafeTensorsFile.Open(weightsPath))
            hasPooler = file.Tensors.ContainsKey("pooler.dense.weight");
        using var model = ViTModel.FromFiles(configPath, weightsPath, addPoolingLayer: hasPooler);
        using var _ = no_grad();
        var last = model.forward(fixture.Inputs["pixel_values"]);
        var outputs = new Dictionary<string, Tensor>
        {
            ["last_hidden_state"] = last,
            ["cls"] = last[.., 0].contiguous(),
        };
        if (hasPooler)
            outputs["pooler_output"] = model.PoolerOutput(last);
        return outputs;
    }

    internal static (string Config, string Weights) ModelFiles(FixtureCase fixture)
        => (fixture.FilePath("config") ?? Path.Combine(fixture.Folder, "config.json"),
            fixture.FilePath("weights") ?? Path.Combine(fixture.Folder, "model.safetensors"));
}

/// <summary>
/// Runs <c>transformers.AlignModel</c> cases: get_text_features, get_image_features and the full forward, with
/// the stored input_ids / attention_mask / token_type_ids / pixel_values.
/// </summary>
public sealed class AlignFixtureRunner : IFixtureRunner
{
    public IReadOnlyCollection<string> ModelClasses { get; } = ["transformers.AlignModel"];

    public IReadOnlyDictionary<string, Tensor> Run(FixtureCase fixture)
    {
        var (configPath, weightsPath) = ViTFixtureRunner.ModelFiles(fixture);
        using var model = AlignModel.FromFiles(configPath, weightsPath);
        using var _ = no_grad();
        var ids = fixture.Inputs["input_ids"];
        var mask = fixture.Inputs.GetValueOrDefault("attention_mask");
        var types = fixture.Inputs.GetValueOrDefault("token_type_ids");
        var pixels = fixture.Inputs["pixel_values"];
        var o = model.Forward(ids, pixels, mask, types);
        return new Dictionary<string, Tensor>
        {
            ["text_features"] = model.GetTextFeatures(ids, mask, types),
            ["image_features"] = model.GetImageFeatures(pixels),
            ["logits_per_image"] = o.LogitsPerImage,
            ["logits_per_text"] = o.LogitsPerText,
            ["text_embeds"] = o.TextEmbeds,
            ["image_embeds"] = o.ImageEmbeds,
            ["vision_last_hidden_state"] = o.VisionLastHiddenState,
            ["text_last_hidden_state"] = o.TextLastHiddenState,
        };
    }
}
