using System.Diagnostics;
using Rpo.Diffusion.Models.Unet;
using Rpo.Diffusion.Schedulers;
using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Cli.Bench;

/// <summary>One measured configuration: seconds per denoising step (UNet on the CFG-doubled batch + guidance + DDIM step).</summary>
public sealed record DenoisingBenchResult(string Model, long LatentSize, int Steps, double MedianSeconds, double MinSeconds, double MaxSeconds, long Parameters);

/// <summary>Times the denoising loop's step with random weights: what one image costs per step on this machine.</summary>
public static class DenoisingBenchmark
{
    public static DenoisingBenchResult Run(string name, UNet2DConditionConfig config, long latentSize, int steps, Device device, Action<int>? progress = null)
    {
        manual_seed(0);
        using var unet = new UNet2DConditionModel(config, device);
        unet.eval();
        long parameters = unet.parameters().Sum(p => p.numel());
        int crossDim = config.CrossAttentionDim.Single ?? config.CrossAttentionDim.List![0];
        var scheduler = new DDIMScheduler(new SchedulerConfig());
        scheduler.SetTimesteps(Math.Max(steps + 1, 25));

        using var _ = no_grad();
        using var embeddings = randn([2, 77, crossDim], device: device);
        var latents = randn([1, config.InChannels, latentSize, latentSize], device: device);
        var seconds = new List<double>();
        // Step 0 warms up allocators and kernels and is not counted.
        for (int i = 0; i <= steps; i++)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            double t = scheduler.Timesteps[i];
            var output = unet.call(cat([latents, latents]), tensor((long)t, device: device), embeddings).chunk(2);
            var noise = output[0] + 7.5 * (output[1] - output[0]);
            var next = scheduler.Step(noise, t, latents).PrevSample;
            if (device.type == DeviceType.CUDA) cuda.synchronize();
            clock.Stop();
            latents.Dispose();
            latents = next.MoveToOuterDisposeScope();
            if (i > 0) seconds.Add(clock.Elapsed.TotalSeconds);
            progress?.Invoke(i);
        }
        latents.Dispose();
        seconds.Sort();
        return new DenoisingBenchResult(name, latentSize, steps, seconds[seconds.Count / 2], seconds[0], seconds[^1], parameters);
    }

    /// <summary>The SD 2.1-base UNet's published config.json (no weights), shipped with the CLI for benchmarks.</summary>
    public static UNet2DConditionConfig Sd21BaseConfig()
    {
        using var stream = typeof(DenoisingBenchmark).Assembly.GetManifestResourceStream("Rpo.Cli.Bench.sd21-base-unet.json")
            ?? throw new InvalidOperationException("the embedded SD 2.1-base UNet config is missing from the build.");
        using var reader = new StreamReader(stream);
        return UNet2DConditionConfig.Parse(reader.ReadToEnd());
    }
}
