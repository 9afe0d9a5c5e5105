using Rpo.Diffusion.Imaging;
using Rpo.Training.Preferences;
using Rpo.Training.Prompts;
using Rpo.Tests.Shared;

namespace Rpo.Training.Tests;

/// <summary>
/// Training on the real tiny Stable Diffusion pipeline of the fixtures (UNet, VAE, CLIP text encoder, tokenizer,
/// scheduler config) with three DreamBench dog photos as references and four cat photos standing in for negatives.
/// </summary>
sealed class TinyPipelineSetup : IDisposable
{
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), $"rpo-pipe-{Guid.NewGuid():N}");
    public static string Pipeline => TestPaths.Fixture("sd-pipeline-tiny");
    /// <summary>Training resolution: 32 px → 16×16 latents (the tiny VAE downsamples by 2).</summary>
    public const int Size = 32;
    public TrainingData Data { get; }

    public TinyPipelineSetup()
    {
        Directory.CreateDirectory(Folder);
        string dreambench = Path.Combine(TestPaths.Shared, "dreambench", "dataset");
        var references = Enumerable.Range(0, 3).Select(i => Read(Path.Combine(dreambench, "dog", $"{i:D2}.jpg"))).ToList();
        var generated = Enumerable.Range(0, 4).Select(i => Read(Path.Combine(dreambench, "cat", $"{i:D2}.jpg"))).ToList();
        var prompts = TrainingPrompts.Training("dog");
        var pairs = Enumerable.Range(0, generated.Count).Select(j => new PreferencePair(j, j, prompts[j],
            TrainingPrompts.TextPrompt(prompts[j]), j % references.Count, j, 0.6, 0.4, 0.55, j % 2)).ToList();
        Data = new TrainingData(references, TrainingPrompts.ReferencePrompt("dog"), generated, new PreferenceRecord(0, 0, false, pairs));
    }

    // Downsized once here so that the tests do not resize full DreamBench photos on every run of the trainer.
    static RgbImage Read(string path)
    {
        var image = ImageFile.ReadRgb(path, applyExifOrientation: true);
        int w = image.Width, h = image.Height;
        (int nw, int nh) = w <= h ? (Size, Size * h / w) : (Size * w / h, Size);
        return PillowResize.Resize(image, nw, nh, ResampleFilter.Bilinear);
    }

    public static TrainingOptions Options(int steps, int valEvery) =>
        new() { Steps = steps, ValEvery = valEvery, Resolution = Size, Seed = 7 };

    public void Dispose()
    {
        if (Directory.Exists(Folder)) Directory.Delete(Folder, true);
    }
}
