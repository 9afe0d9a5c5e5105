using System.Diagnostics;
using Rpo.Diffusion.Models.Unet;
using Rpo.Diffusion.Schedulers;
using Rpo.Training;
using Rpo.Training.Optimization;
using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Cli.Bench;

/// <summary>One measured configuration of the training step; PeakRssBytes is the process's high-water mark after it.</summary>
/// <param name="Setup">"full fp32", or the memory options used ("LoRA r4, φ bf16, checkpointing").</param>
public sealed record TrainStepBenchResult(string Model, long LatentSize, string Setup, int Steps, double MedianSeconds, double MinSeconds, double MaxSeconds,
    long Parameters, long PeakRssBytes);

/// <summary>
/// Times RPO's optimisation step with random weights through <see cref="RpoOptimizationStep"/>, the object
/// <see cref="Rpo.Training.RpoTrainer"/> steps with: one preference pair (reference row + generated row), θ forward
/// with gradients and φ forward without, backward, grad-norm clipping, AdamW, with the trainer's memory options (LoRA,
/// bfloat16 φ, gradient checkpointing) and the CPU conv-backward guard, since those are part of what a step costs.
/// </summary>
public static class TrainStepBenchmark
{
    public static TrainStepBenchResult Run(string name, UNet2DConditionConfig config, long latentSize, int steps, Device device,
        TrainingOptions options, Action<int>? progress = null)
    {
        manual_seed(0);
        using var theta = new UNet2DConditionModel(config, device);
        using var phi = new UNet2DConditionModel(config, device);
        phi.load_state_dict(theta.state_dict());
        using var step = new RpoOptimizationStep(theta, phi, new DDPMScheduler(new SchedulerConfig()), options);
        long parameters = step.TrainableParameters.Sum(p => p.numel());
        int crossDim = config.CrossAttentionDim.Single ?? config.CrossAttentionDim.List![0];

        var seconds = new List<double>();
        // Step 0 allocates gradients and optimiser state and is not counted.
        for (int i = 0; i <= steps; i++)
        {
            using var scope = NewDisposeScope();
            var latents = randn([2, config.InChannels, latentSize, latentSize], device: device);
            var noise = randn_like(latents);
            var timesteps = randint(0, 1000, [1], dtype: ScalarType.Int64, device: device).repeat(2);
            var text = randn([2, 77, crossDim], device: device);
            var labels = tensor(new float[] { 1 }, device: device);
            var clock = Stopwatch.StartNew();
            step.Run(latents, noise, timesteps, text, labels);
            if (device.type == DeviceType.CUDA) cuda.synchronize();
            clock.Stop();
            if (i > 0) seconds.Add(clock.Elapsed.TotalSeconds);
            progress?.Invoke(i);
        }
        seconds.Sort();
        return new TrainStepBenchResult(name, latentSize, Describe(options), steps, seconds[seconds.Count / 2], seconds[0], seconds[^1], parameters, PeakRss());
    }

    public static string Describe(TrainingOptions options)
    {
        var parts = new List<string> { options.Lora is { } lora ? $"LoRA r{lora.Rank}" : "full" };
        if (options.FrozenInBFloat16) parts.Add("φ bf16");
        if (options.GradientCheckpointing) parts.Add("checkpointing");
        return string.Join(", ", parts);
    }
    /// <summary>VmHWM of /proc/self/status (Linux); the process's peak working set elsewhere.</summary>
    static long PeakRss()
    {
        const string status = "/proc/self/status";
        if (File.Exists(status))
            foreach (var line in File.ReadLines(status))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        return Process.GetCurrentProcess().PeakWorkingSet64;
    }
}
