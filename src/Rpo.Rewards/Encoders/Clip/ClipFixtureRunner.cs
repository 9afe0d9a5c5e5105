using Rpo.Diffusion.Parity;
using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders.Clip;

/// <summary>
/// Runs <c>transformers.CLIPModel</c> cases: get_text_features, get_image_features and the full forward with the
/// stored input_ids / attention_mask / pixel_values.
/// </summary>
public sealed class ClipFixtureRunner : IFixtureRunner
{
    public IReadOnlyCollection<string> ModelClasses { get; } = ["transformers.CLIPModel"];

    public IReadOnlyDictionary<string, Tensor> Run(FixtureCase fixture)
    {
        var (configPath, weightsPath) = ViTFixtureRunner.ModelFiles(fixture);
        using var model = CLIPModel.FromFiles(configPath, weightsPath);
        using var _ = no_grad();
        var ids = fixture.Inputs["input_ids"];
        var mask = fixture.Inputs.GetValueOrDefault("attention_mask");
        var pixels = fixture.Inputs["pixel_values"];
        var o = model.Forward(ids, pixels, mask);
        return new Dictionary<string, Tensor>
        {
            ["text_features"] = model.GetTextFeatures(ids, mask),
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
