using System.Text.Json;
using Rpo.Diffusion.Imaging;
using Rpo.Training.Preferences;
using TorchSharp;

namespace Rpo.Training.Negatives;

/// <summary>One generated image on disk, with what made it.</summary>
public sealed record NegativeImage(int PromptIndex, string Prompt, int Index, long Seed, string File);

/// <summary>
/// Step 1: <c>m</c> images per training prompt from the frozen base model, written as PNG with a manifest
/// (<c>negatives.json</c>: prompt, seed and file of each). Image k of prompt i uses seed <c>seed + i·m + k</c>, so a
/// run is reproducible and any single image can be regenerated. The reference generates 4 per prompt, unseeded.
/// Generation runs without gradients, so a caller needs no torch of its own.
/// </summary>
public sealed record NegativeSet(long Seed, int PerPrompt, IReadOnlyList<NegativeImage> Images)
{
    public const string ManifestName = "negatives.json";
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static NegativeSet Generate(IImageGenerator generator, IReadOnlyList<string> prompts, int perPrompt, long seed,
        string folder, Action<int, int>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perPrompt);
        using var noGrad = torch.no_grad();
        Directory.CreateDirectory(folder);
        var images = new List<NegativeImage>();
        int total = prompts.Count * perPrompt;
        for (int i = 0; i < prompts.Count; i++)
            for (int k = 0; k < perPrompt; k++)
            {
                long s = seed + (long)i * perPrompt + k;
                var image = generator.Generate(prompts[i], s);
                string file = $"p{i:D2}_{k:D3}.png";
                PngWriter.Write(image, Path.Combine(folder, file));
                images.Add(new NegativeImage(i, prompts[i], k, s, file));
                progress?.Invoke(images.Count, total);
            }
        var set = new NegativeSet(seed, perPrompt, images);
        File.WriteAllText(Path.Combine(folder, ManifestName), JsonSerializer.Serialize(set, Json));
        return set;
    }

    public static NegativeSet Load(string folder) =>
        JsonSerializer.Deserialize<NegativeSet>(File.ReadAllText(Path.Combine(folder, ManifestName)), Json)
        ?? throw new InvalidDataException($"{folder}: empty {ManifestName}.");

    /// <summary>The images read back, in manifest order, ready for <see cref="PreferenceLabels"/>.</summary>
    public IReadOnlyList<LabeledNegative> Read(string folder) =>
        Images.Select(n => new LabeledNegative(ImageFile.ReadRgb(Path.Combine(folder, n.File)), n.PromptIndex, n.Prompt)).ToList();
}
