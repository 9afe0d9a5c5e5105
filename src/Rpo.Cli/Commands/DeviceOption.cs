using System.CommandLine;
using Rpo.Diffusion.Runtime;
using TorchSharp;

namespace Rpo.Cli.Commands;

/// <summary>The shared <c>--device auto|cpu|cuda|cuda:N</c> option.</summary>
public static class DeviceOption
{
    public static Option<string> Create() => new("--device")
    {
        Description = "auto (CUDA when available), cpu, cuda or cuda:N.",
        DefaultValueFactory = _ => "auto",
    };

    /// <summary><see cref="TorchRuntime.ResolveDevice"/>, its refusal a user error.</summary>
    public static torch.Device Resolve(string? name)
    {
        try
        {
            return TorchRuntime.ResolveDevice(name);
        }
        catch (ArgumentException e)
        {
            throw new UserError($"--device: {e.Message}");
        }
    }
}
