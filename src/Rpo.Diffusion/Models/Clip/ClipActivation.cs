using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Clip;

/// <summary>transformers' <c>ACT2FN</c> for the names CLIP-family configs use in <c>hidden_act</c>.</summary>
public static class ClipActivation
{
    public static Func<Tensor, Tensor> Get(string name) => name switch
    {
        // OpenAI CLIP's approximation (SD 1.x): x * sigmoid(1.702 x).
        "quick_gelu" => x => x * sigmoid(x * 1.702),
        // The exact erf form (SD 2.x / OpenCLIP), torch.nn.functional.gelu's default.
        "gelu" => x => nn.functional.gelu(x),
        // NewGELUActivation: the tanh approximation written out as transformers writes it.
        "gelu_new" => x => x * 0.5 * (tanh((x + x.pow(3.0) * 0.044715) * Math.Sqrt(2.0 / Math.PI)) + 1.0),
        "relu" => x => nn.functional.relu(x),
        "silu" or "swish" => x => nn.functional.silu(x),
        _ => throw new NotSupportedException($"hidden_act '{name}' is not supported (quick_gelu, gelu, gelu_new, relu, silu are)."),
    };
}
