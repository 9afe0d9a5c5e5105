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
