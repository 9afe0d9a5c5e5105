using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Rewards.Encoders;

/// <summary>
/// The activations named by transformers configs (<c>hidden_act</c>), as transformers' ACT2FN maps them.
/// An unknown name is an error rather than a silent fallback: a wrong activation is a parity bug.
/// </summary>
public static class Activations
{
    public static Func<Tensor, Tensor> Get(string name) => name switch
    {
        // ACT2FN["gelu"] is the exact erf form.
        "gelu" => x => nn.functional.gelu(x),
        // NewGELUActivation, written out as transformers writes it.
        "gelu_new" => x => 0.5 * x * (1.0 + torch.tanh(Math.Sqrt(2.0 / Math.PI) * (x + 0.044715 * torch.pow(x, 3.0)))),
        "quick_gelu" => x => x * torch.sigmoid(1.702 * x),
        "swish" or "silu" => x => nn.functional.silu(x),
        "relu" => x => nn.functional.relu(x),
        "tanh" => torch.tanh,
        _ => throw new NotSupportedException($"hidden_act '{name}' is not supported (gelu, gelu_new, quick_gelu, swish/silu, relu, tanh)."),
    };
}
