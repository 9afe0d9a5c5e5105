using Rpo.Diffusion.Configs;
using Rpo.Diffusion.Weights;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Clip;

/// <summary>
/// transformers' <c>CLIPTextModel</c>, the Stable Diffusion text encoder: state_dict keys are
/// <c>text_model.embeddings.*</c>, <c>text_model.encoder.layers.N.*</c>, <c>text_model.final_layer_norm.*</c>, as in the
/// published <c>text_encoder/model.safetensors</c>.
/// </summary>
public sealed class CLIPTextModel : nn.Module
{
    /// <summary>A buffer older transformers saved (I64 [1, max_positions]); the reference ignores it on load.</summary>
    public const string LegacyPositionIdsKey = "text_model.embeddings.position_ids";

    readonly CLIPTextTransformer text_model;

    /// <param name="device">where the parameters are made (the meta device builds a model without memory, for its keys)</param>
    /// <param name="dtype">parameter dtype; float32 when null</param>
    public CLIPTextModel(CLIPTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(CLIPTextModel))
    {
        Config = config;
        text_model = new CLIPTextTransformer(config, device, dtype);
        RegisterComponents();
    }

    public CLIPTextConfig Config { get; }

    public LayerNorm FinalLayerNorm => text_model.FinalLayerNorm;

    /// <summary>
    /// Builds the model from <c>config.json</c> and loads <c>model.safetensors</c> (or <c>model.{variant}.safetensors</c>)
    /// from a transformers folder such as a pipeline's <c>text_encoder/</c>; returned in eval mode on the CPU.
    /// </summary>
    public static CLIPTextModel FromPretrained(string folder, string? variant = null)
    {
        var config = ConfigJson.Load<CLIPTextConfig>(Path.Combine(folder, "config.json"));
        string weights = Path.Combine(folder, variant is null ? "model.safetensors" : $"model.{variant}.safetensors");
        if (!File.Exists(weights)) throw new FileNotFoundException($"{folder} has no {Path.GetFileName(weights)} (only safetensors weights are read).", weights);
        var model = new CLIPTextModel(config);
        model.LoadWeights(weights);
        model.eval();
        return model;
    }

    /// <summary>Strict by-name load; drops <see cref="LegacyPositionIdsKey"/>, which the reference recomputes.</summary>
    public void LoadWeights(string file) => ModuleWeights.Load(this, file, key => key == LegacyPositionIdsKey ? null : key);

    /// <summary>
    /// <c>text_encoder(input_ids, attention_mask=..., output_hidden_states=...)</c>. The SD pipelines pass no attention
    /// mask (padding is attended to); a mask of 1/0 per token hides padding as transformers does.
    /// </summary>
    public CLIPTextModelOutput forward(Tensor inputIds, Tensor? attentionMask = null, bool outputHiddenStates = false) =>
        text_model.forward(inputIds, attentionMask, null, outputHiddenStates);

    /// <summary>
    /// The prompt embeddings of diffusers' <c>encode_prompt</c>: <c>last_hidden_state</c> without clip_skip; with
    /// clip_skip = k, <c>final_layer_norm(hidden_states[-(k + 1)])</c> (k = 1: the penultimate layer).
    /// </summary>
    public Tensor PromptEmbeddings(Tensor inputIds, Tensor? attentionMask = null, int? clipSkip = null)
    {
        using var scope = NewDisposeScope();
        if (clipSkip is null)
            return forward(inputIds, attentionMask).LastHiddenState.MoveToOuterDisposeScope();
        var states = forward(inputIds, attentionMask, outputHiddenStates: true).HiddenStates!;
        if (clipSkip < 0 || clipSkip >= states.Count)
            throw new ArgumentOutOfRangeException(nameof(clipSkip), clipSkip, $"clip_skip must be between 0 and {states.Count - 1} for {states.Count - 1} layers.");
        return FinalLayerNorm.forward(states[states.Count - 1 - clipSkip.Value]).MoveToOuterDisposeScope();
    }
}
