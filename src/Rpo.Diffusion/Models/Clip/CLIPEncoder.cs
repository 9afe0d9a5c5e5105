using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Clip;

/// <summary>What <see cref="CLIPEncoder"/> returns.</summary>
/// <param name="LastHiddenState">output of the last layer (no final norm here; each tower applies its own)</param>
/// <param name="HiddenStates">when asked for: the input, then each layer's output (layers + 1 tensors)</param>
public sealed record CLIPEncoderOutput(Tensor LastHiddenState, IReadOnlyList<Tensor>? HiddenStates);

/// <summary>
/// transformers' <c>CLIPEncoder</c>: a stack of <see cref="CLIPEncoderLayer"/>. Shared by the text tower (causal mask)
/// and the vision tower (no causal mask).
/// </summary>
public sealed class CLIPEncoder : nn.Module
{
    readonly ModuleList<CLIPEncoderLayer> layers;

    public CLIPEncoder(IClipEncoderConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(CLIPEncoder))
    {
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new CLIPEncoderLayer(config, device, dtype)).ToArray());
        RegisterComponents();
    }

    public int NumLayers => layers.Count;

    public CLIPEncoderOutput forward(Tensor inputsEmbeds, Tensor? attentionMask = null, Tensor? causalAttentionMask = null, bool outputHiddenStates = false)
    {
        var states = outputHiddenStates ? new List<Tensor>(layers.Count + 1) : null;
        var h = inputsEmbeds;
        foreach (var layer in layers)
        {
            states?.Add(h);
            h = layer.forward(h, attentionMask, causalAttentionMask);
        }
        states?.Add(h);
        return new CLIPEncoderOutput(h, states);
    }
}
