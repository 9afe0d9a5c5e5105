using System.Diagnostics;
using Rpo.Diffusion.Configs;
using Rpo.Rewards.Encoders.Align;
using Rpo.Rewards.Encoders.Clip;
using Rpo.Rewards.Encoders.Vit;
using static TorchSharp.torch;

namespace Rpo.Rewards;

/// <summary>One encoder's measured image throughput.</summary>
/// <param name="RunImagesPerSecond">every timed run, in order</param>
public sealed record EncoderThroughput(string Encoder, int ImageSize, long Parameters, int BatchSize, IReadOnlyList<double> RunImagesPerSecond)
{
    /// <summary>The median over the timed runs.</summary>
    public double MedianImagesPerSecond
    {
        get
        {
            var sorted = RunImagesPerSecond.Order().ToArray();
            int n = sorted.Length;
            return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        }
    }
}

/// <summary>
/// Image-encoding throughput of the three encoders at their published configurations, with random weights (the
/// arithmetic does not depend on the values): CLIP ViT-B/16 at 224, ALIGN-base (EfficientNet-B7 + BERT-base) at 289,
/// DINO ViT-S/16 at 224. Each run encodes one batch of pre-processed pixels without grad (image features only);
/// one untimed warm-up run first. One model is alive at a time.
/// </summary>
public static class EncoderBenchmark
{
    public static IReadOnlyList<string> Encoders { get; } = ["clip", "align", "dino"];

    /// <summary>Measures one encoder ("clip", "align" or "dino"): <paramref name="runs"/> timed runs of one batch.</summary>
    public static EncoderThroughput Measure(string encoder, int batchSize, int runs, int seed = 0)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch needs at least one image.");
        if (runs < 1) throw new ArgumentOutOfRangeException(nameof(runs), runs, "At least one timed run is needed.");
        manual_seed(seed);
        var (model, size, encode) = Build(encoder);
        using (model)
        {
            long parameters = model.parameters().Sum(p => p.numel());
            using var _ = no_grad();
            using var pixels = randn(batchSize, 3, size, size);
            using (encode(pixels)) { }
            var rates = new List<double>(runs);
            for (int i = 0; i < runs; i++)
            {
                var watch = Stopwatch.StartNew();
                using (encode(pixels)) { }
                rates.Add(batchSize / watch.Elapsed.TotalSeconds);
            }
            return new EncoderThroughput(encoder, size, parameters, batchSize, rates);
        }
    }

    static (nn.Module Model, int Size, Func<Tensor, Tensor> Encode) Build(string encoder)
    {
        switch (encoder)
        {
            case "clip":
            {
                var m = new CLIPModel(ConfigJson.Parse<CLIPConfig>(PublishedConfigs.ClipVitB16));
                m.eval();
                return (m, m.Config.VisionConfig.ImageSize, m.GetImageFeatures);
            }
            case "align":
            {
                var m = new AlignModel(ConfigJson.Parse<AlignConfig>(PublishedConfigs.AlignBase));
                m.eval();
                return (m, m.Config.VisionConfig.ImageSize, m.GetImageFeatures);
            }
            case "dino":
            {
                var m = new ViTModel(ConfigJson.Parse<ViTConfig>(PublishedConfigs.DinoVitS16));
                m.eval();
                return (m, m.Config.ImageSize, m.ClsFeatures);
            }
            default:
                throw new ArgumentException($"Unknown encoder '{encoder}' (known: {string.Join(", ", Encoders)}).", nameof(encoder));
        }
    }
}
