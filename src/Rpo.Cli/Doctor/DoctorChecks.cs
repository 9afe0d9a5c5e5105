using System.Runtime.InteropServices;
using Rpo.Diffusion.Runtime;

namespace Rpo.Cli.Doctor;

/// <summary>The checks behind <c>rpo doctor</c>, each independent so one failure does not hide the rest.</summary>
public static class DoctorChecks
{
    public const string DefaultAzuriteBlobEndpoint = "http://127.0.0.1:10000/devstoreaccount1";

    public static DoctorCheck DotNet() =>
        new(".NET", CheckStatus.Ok, $"{RuntimeInformation.FrameworkDescription} ({RuntimeInformation.RuntimeIdentifier})");

    /// <summary>LibTorch, threads and CUDA: loading the native backend is the check.</summary>
    public static IReadOnlyList<DoctorCheck> Torch()
    {
        TorchRuntimeInfo info;
        try
        {
            info = TorchRuntime.Describe();
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException)
        {
            string reason = (e.InnerException ?? e).Message.Split('\n')[0];
            return
            [
                new("LibTorch", CheckStatus.Fail, $"the native backend did not load: {reason}",
                    "rebuild with 'dotnet build' (the build patches libLibTorchSharp.so for this host's libstdc++) and delete any bin/**/cpu folder"),
            ];
        }
        var cuda = info.CudaAvailable
            ? new DoctorCheck("CUDA", CheckStatus.Ok,
                $"{info.CudaDevices} device(s): {(info.CudaDeviceNames.Count > 0 ? string.Join(", ", info.CudaDeviceNames) : "name not published by the driver")}")
            : new DoctorCheck("CUDA", CheckStatus.Warn, "not available: training runs on the CPU (fine for the tiny model, far too slow for SD)",
                "on a GPU machine build with -p:TorchSharpPackage=TorchSharp-cuda-linux");
        return
        [
            new("LibTorch", CheckStatus.Ok, info.LibTorchVersion),
            new("Threads", CheckStatus.Ok, $"{info.Threads} intra-op thread(s) on {Environment.ProcessorCount} logical core(s)"),
            cuda,
        ];
    }

    /// <summary>Azurite answers when its blob endpoint replies with its own Server header.</summary>
    public static async Task<DoctorCheck> AzuriteAsync(string blobEndpoint, CancellationToken cancellationToken)
    {
        const string fix = "run ./run-tests.sh (it installs and starts Azurite), or: npx azurite --silent --location .azurite --blobHost 127.0.0.1";
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
            using var response = await http.GetAsync(blobEndpoint.TrimEnd('/') + "?comp=list", cancellationToken);
            string server = string.Join(' ', response.Headers.Server.Select(s => s.ToString()));
            return server.Contains("Azurite", StringComparison.OrdinalIgnoreCase)
                ? new DoctorCheck("Azurite", CheckStatus.Ok, $"{blobEndpoint} answers ({server})")
                : new DoctorCheck("Azurite", CheckStatus.Warn, $"{blobEndpoint} answered, but not as Azurite ({(int)response.StatusCode} {server})", fix);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or UriFormatException)
        {
            return new DoctorCheck("Azurite", CheckStatus.Warn, $"no answer at {blobEndpoint}: {e.Message}", fix);
        }
    }

    public static DoctorCheck Bicep()
    {
        string? path = BicepLocator.Find();
        return path != null
            ? new DoctorCheck("Bicep CLI", CheckStatus.Ok, path)
            : new DoctorCheck("Bicep CLI", CheckStatus.Warn, "not found (needed only to build infra/)",
                $"dotnet restore {Path.Combine("tools", "bicep", "bicep.proj")} (fetches {BicepLocator.PackageId}), or set RPO_BICEP to a bicep binary");
    }
}
