using System.Text.Json;
using Rpo.Diffusion.Configs;

namespace Rpo.Rewards.Processing;

/// <summary>
/// A transformers <c>preprocessor_config.json</c> as written (legacy feature-extractor files included). Every field is
/// optional: an absent one takes the processor class's own default (see <see cref="ImageProcessor"/>). <c>size</c>,
/// <c>crop_size</c>, <c>image_mean</c> and <c>image_std</c> come in several shapes (a number, a list, a dict), so they
/// are kept as JSON and interpreted per processor class the way transformers' <c>get_size_dict</c> does.
/// </summary>
public sealed record ImageProcessorConfig
{
    public string? ImageProcessorType { get; init; }
    public string? FeatureExtractorType { get; init; }
    public string? ProcessorClass { get; init; }
    public bool? DoResize { get; init; }
    public JsonElement? Size { get; init; }
    public int? Resample { get; init; }
    public bool? DoCenterCrop { get; init; }
    public JsonElement? CropSize { get; init; }
    public bool? DoRescale { get; init; }
    public double? RescaleFactor { get; init; }
    public bool? RescaleOffset { get; init; }
    public bool? DoNormalize { get; init; }
    public JsonElement? ImageMean { get; init; }
    public JsonElement? ImageStd { get; init; }
    public bool? IncludeTop { get; init; }
    public bool? DoConvertRgb { get; init; }

    /// <summary>Reads <c>preprocessor_config.json</c> from a model folder, or the file itself.</summary>
    public static ImageProcessorConfig Load(string folderOrFile)
    {
        ArgumentNullException.ThrowIfNull(folderOrFile);
        var path = Directory.Exists(folderOrFile) ? Path.Combine(folderOrFile, "preprocessor_config.json") : folderOrFile;
        if (!File.Exists(path)) throw new FileNotFoundException($"No image processor configuration at {path}.", path);
        return ConfigJson.Load<ImageProcessorConfig>(path);
    }
}
