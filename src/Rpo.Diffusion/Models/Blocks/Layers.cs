using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Blocks;

/// <summary>Factories for the torch.nn layers the diffusers blocks use, with the initialisation PyTorch gives them.</summary>
public static class Layers
{
    /// <summary>TorchSharp leaves GroupNorm's affine parameters uninitialised; PyTorch starts them at 1 and 0.</summary>
    public static TorchSharp.Modules.GroupNorm GroupNorm(long groups, long channels, double eps, Device? device = null, ScalarType? dtype = null)
    {
        if (channels % groups != 0)
            throw new ArgumentException($"GroupNorm: {channels} channels do not split into {groups} groups.");
        var norm = nn.GroupNorm(groups, channels, eps, affine: true, device: device, dtype: dtype);
        ResetAffine(norm.weight, norm.bias);
        return norm;
    }

    public static TorchSharp.Modules.LayerNorm LayerNorm(long dim, double eps, Device? device = null, ScalarType? dtype = null)
    {
        var norm = nn.LayerNorm(dim, eps, elementwise_affine: true, bias: true, device: device, dtype: dtype);
        ResetAffine(norm.weight, norm.bias);
        return norm;
    }

    static void ResetAffine(Tensor? weight, Tensor? bias)
    {
        using var _ = no_grad();
        if (weight is not null) nn.init.ones_(weight);
        if (bias is not null) nn.init.zeros_(bias);
    }

    /// <summary>diffusers' <c>get_activation</c>; <paramref name="key"/> names the config entry in the error.</summary>
    public static nn.Module<Tensor, Tensor> Activation(string? name, string key) => name switch
    {
        "silu" or "swish" => nn.SiLU(),
        "gelu" => nn.GELU(),
        "relu" => nn.ReLU(),
        "mish" => nn.Mish(),
        _ => throw new NotSupportedException($"{key} = \"{name}\" is not supported (silu, swish, gelu, relu, mish are)."),
    };
}
