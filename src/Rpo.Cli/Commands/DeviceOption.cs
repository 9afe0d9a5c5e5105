using System.CommandLine;
using Rpo.Diffusion.Runtime;
using TorchSharp;

namespace Rpo.Cli.Commands;

/// <summary>The shared <c>--device auto|cpu|cuda</c> option.</summary>
public static class DeviceOption
{
    public static Option<string> Create() => new("--device")
    {
        Description = "auto (CUDA when available), cpu or cuda.",
        DefaultValueFactory = _ => "auto",
    };

    public static torch.Device Resolve(string? name) => (name ?? "auto").ToLowerInvariant() switch
    {
        "auto" => TorchRuntime.DefaultDevice(),
        "cpu" => torch.CPU,
        "cuda" => torch.cuda.is_available() ? torch.CUDA : throw new UserError("--device cuda: CUDA is not available here (rpo doctor says why)."),
        var other => throw new UserError($"--device {other}: use auto, cpu or cuda."),
    };
}
