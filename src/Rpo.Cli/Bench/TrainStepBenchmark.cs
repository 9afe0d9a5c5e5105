using System.Diagnostics;
using Rpo.Diffusion.Models.Unet;
using Rpo.Diffusion.Schedulers;
using Rpo.Training.Loss;
using Rpo.Training.Optimization;
using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Cli.Bench;

/// <summary>One measured configuration of the training step; PeakRssBytes is the process's high-water mark after it.</summary>
public sealed record TrainStepBenchResult(string Model, long LatentSize, int Steps, double MedianSeconds, double MinSeconds, double MaxSeconds,
    long Parameters, long PeakRssBytes);

/// <summary>
/// Times RPO's optimisation step with random weights, as <see cref="Rpo.Training.RpoTrainer"/> runs it: one preference
/// pair (reference row + generated row), θ forward with gradients and φ forward without (<see cref="RpoLoss.FromModels"/>),
/// backward, grad-norm clipping, AdamW. The CPU conv-backward guard the trainer installs is installed here too, since it
/// is part of what a step costs on a CPU.
/// </summary>
public static class TrainStepBenchmark
{
    public static TrainStepBenchResult Run(string name, UNet2DConditionConfig config, long latentSize, int steps, Device device, Action<int>? progress = null)
    {
        manual_seed(0);
        using var theta = new UNet2DConditionModel(config, device);
        using var phi = new UNet2DConditionModel(config, device);
        phi.load_state_dict(theta.state_dict());
        phi.eval();
        foreach (var p in phi.parameters()) p.requires_grad = false;
        theta.train();
        using var guard = new ConvBackwardGuard(theta);
        var trainable = theta.parameters().Where(p => p.requires_grad).ToList();
        long parameters = trainable.Sum(p => p.numel());
        using var optimizer = optim.AdamW(trainable, lr: 5e-6, weight_decay: 0.01);
        int crossDim = config.CrossAttentionDim.Single ?? config.CrossAttentionDim.List![0];
        var scheduler = new DDPMScheduler(new SchedulerConfig());

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
            optimizer.zero_grad();
            var terms = RpoLoss.FromModels((x, t, c) => theta.call(x, t, c), (x, t, c) => phi.call(x, t, c), scheduler,
                latents, noise, timesteps, text, labels, beta: 1.0);
            terms.Loss.backward();
            GradientClipping.ClipGradNorm(trainable, 1.0);
            optimizer.step();
            if (device.type == DeviceType.CUDA) cuda.synchronize();
            clock.Stop();
            if (i > 0) seconds.Add(clock.Elapsed.TotalSeconds);
            progress?.Invoke(i);
        }
        seconds.Sort();
        return new TrainStepBenchResult(name, latentSize, steps, seconds[seconds.Count / 2], seconds[0], seconds[^1], parameters, PeakRss());
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
