using System.Globalization;
using TorchSharp;

namespace Rpo.Diffusion.Runtime;

/// <summary>What the loaded LibTorch offers on this machine, for <c>rpo doctor</c> and run records.</summary>
public sealed record TorchRuntimeInfo(string LibTorchVersion, int Threads, bool CudaAvailable, int CudaDevices, IReadOnlyList<string> CudaDeviceNames);

public static class TorchRuntime
{
    /// <summary>Loads the native backend (throws the loader's own message if it cannot) and describes it.</summary>
    public static TorchRuntimeInfo Describe()
    {
        string version = torch.__version__;
        bool cuda = torch.cuda.is_available();
        int devices = cuda ? torch.cuda.device_count() : 0;
        return new TorchRuntimeInfo(version, torch.get_num_threads(), cuda, devices, cuda ? NvidiaDeviceNames() : []);
    }

    /// <summary>The best device for heavy work: CUDA when present, else CPU.</summary>
    public static torch.Device DefaultDevice() => torch.cuda.is_available() ? torch.CUDA : torch.CPU;

    /// <summary>
    /// The device a setting or option names: null, empty or <c>auto</c> the <see cref="DefaultDevice"/>; <c>cpu</c>;
    /// <c>cuda</c> (the current GPU) or <c>cuda:N</c>. The one resolver for every host (the CLI's <c>--device</c>, the
    /// worker's settings), so a name means the same everywhere. Throws <see cref="ArgumentException"/> saying what is
    /// wrong: a name it does not know, or a GPU LibTorch does not see.
    /// </summary>
    public static torch.Device ResolveDevice(string? name)
    {
        var text = name?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(text) || text == "auto") return DefaultDevice();
        if (text == "cpu") return torch.CPU;

        int? index = null;
        if (text != "cuda")
        {
            if (!text.StartsWith("cuda:", StringComparison.Ordinal)
                || !int.TryParse(text.AsSpan("cuda:".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                throw new ArgumentException($"Device '{name}' is not one of auto, cpu, cuda or cuda:N.");
            }

            index = parsed;
        }

        if (!torch.cuda.is_available())
            throw new ArgumentException($"Device '{name}': CUDA is not available here (LibTorch sees no GPU; rpo doctor says why).");
        int count = torch.cuda.device_count();
        if (index >= count)
            throw new ArgumentException($"Device '{name}': LibTorch sees {count} GPU(s), numbered from 0.");
        return index is { } i ? new torch.Device(DeviceType.CUDA, i) : torch.CUDA;
    }

    // TorchSharp exposes no cudaGetDeviceProperties; the NVIDIA driver publishes each GPU's model name here.
    static List<string> NvidiaDeviceNames()
    {
        const string root = "/proc/driver/nvidia/gpus";
        if (!Directory.Exists(root)) return [];
        return Directory.GetDirectories(root).Order(StringComparer.Ordinal)
            .Select(d => Path.Combine(d, "information"))
            .Where(File.Exists)
            .SelectMany(File.ReadLines)
            .Where(l => l.StartsWith("Model:", StringComparison.Ordinal))
            .Select(l => l["Model:".Length..].Trim())
            .ToList();
    }
}
