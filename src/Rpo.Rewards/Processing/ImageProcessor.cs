using System.Text.Json;
using Rpo.Diffusion.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Rewards.Processing;

/// <summary>The transformers image processor classes this project reproduces.</summary>
public enum ImageProcessorKind
{
    /// <summary><c>CLIPImageProcessor</c>: shortest edge resize, centre crop, rescale, normalise.</summary>
    Clip,
    /// <summary><c>ViTImageProcessor</c> (DINO): resize to height x width, rescale, normalise; no crop.</summary>
    Vit,
    /// <summary><c>EfficientNetImageProcessor</c> (ALIGN): resize to height x width, centre crop, rescale with optional offset, normalise, include_top.</summary>
    EfficientNet,
}

/// <summary>
/// The slow image processors of transformers 4.36.2, driven by <c>preprocessor_config.json</c>: per image resize with
/// Pillow's filter (<see cref="PillowResize"/>, 8-bit), centre crop, <c>float32(u8 * rescale_factor)</c> (product in
/// double, as numpy computes it), optional offset, <c>(x - mean) / std</c> in float32; NCHW float32 for the batch.
/// Images are expected in RGB already (<see cref="ImageFile.ReadRgb"/>), which is what <c>do_convert_rgb</c> does.
/// </summary>
public sealed class ImageProcessor
{
    // transformers.image_utils constants, the class defaults for absent keys.
    static readonly float[] OpenAiClipMean = [0.48145466f, 0.4578275f, 0.40821073f];
    static readonly float[] OpenAiClipStd = [0.26862954f, 0.26130258f, 0.27577711f];
    static readonly float[] ImageNetStandardMean = [0.5f, 0.5f, 0.5f];
    static readonly float[] ImageNetStandardStd = [0.5f, 0.5f, 0.5f];

    public ImageProcessorKind Kind { get; }
    public bool DoResize { get; }
    /// <summary>For <see cref="ImageProcessorKind.Clip"/> with a shortest-edge size: that edge; otherwise null.</summary>
    public int? ShortestEdge { get; }
    /// <summary>Exact output size of the resize when not resizing by shortest edge.</summary>
    public (int Height, int Width)? ResizeTo { get; }
    public ResampleFilter Resample { get; }
    public bool DoCenterCrop { get; }
    public (int Height, int Width) CropSize { get; }
    public bool DoRescale { get; }
    public double RescaleFactor { get; }
    public bool RescaleOffset { get; }
    public bool DoNormalize { get; }
    public IReadOnlyList<float> ImageMean { get; }
    public IReadOnlyList<float> ImageStd { get; }
    public bool IncludeTop { get; }

    public ImageProcessor(ImageProcessorConfig config, ImageProcessorKind? kind = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        Kind = kind ?? KindOf(config);
        DoResize = config.DoResize ?? true;
        Resample = (ResampleFilter)(config.Resample ?? Kind switch
        {
            ImageProcessorKind.Clip => (int)ResampleFilter.Bicubic,
            ImageProcessorKind.Vit => (int)ResampleFilter.Bilinear,
            _ => (int)ResampleFilter.Nearest,
        });
        if (!Enum.IsDefined(Resample)) throw new InvalidDataException($"preprocessor_config.json: unknown resample {(int)Resample}.");

        var size = ParseSize(config.Size, "size", defaultToSquare: Kind != ImageProcessorKind.Clip)
                   ?? (Kind switch
                   {
                       ImageProcessorKind.Clip => new SizeDict(ShortestEdge: 224),
                       ImageProcessorKind.Vit => new SizeDict(Height: 224, Width: 224),
                       _ => new SizeDict(Height: 346, Width: 346),
                   });
        if (Kind == ImageProcessorKind.Clip && size.ShortestEdge is int edge) ShortestEdge = edge;
        else if (size.Height is int h && size.Width is int w) ResizeTo = (h, w);
        else throw new InvalidDataException($"preprocessor_config.json: size {config.Size} is not supported by {Kind} (needs {(Kind == ImageProcessorKind.Clip ? "shortest_edge or " : "")}height and width).");

        DoCenterCrop = Kind switch
        {
            ImageProcessorKind.Vit => false,   // ViTImageProcessor has no crop step at all
            ImageProcessorKind.Clip => config.DoCenterCrop ?? true,
            _ => config.DoCenterCrop ?? false,
        };
        var crop = ParseSize(config.CropSize, "crop_size", defaultToSquare: true)
                   ?? (Kind == ImageProcessorKind.EfficientNet ? new SizeDict(Height: 289, Width: 289) : new SizeDict(Height: 224, Width: 224));
        if (crop.Height is not int ch || crop.Width is not int cw)
            throw new InvalidDataException($"preprocessor_config.json: crop_size {config.CropSize} needs height and width.");
        CropSize = (ch, cw);

        DoRescale = config.DoRescale ?? true;
        RescaleFactor = config.RescaleFactor ?? 1.0 / 255;
        RescaleOffset = Kind == ImageProcessorKind.EfficientNet && (config.RescaleOffset ?? false);
        DoNormalize = config.DoNormalize ?? true;
        ImageMean = ParseChannels(config.ImageMean, "image_mean") ?? (Kind == ImageProcessorKind.Clip ? OpenAiClipMean : ImageNetStandardMean);
        ImageStd = ParseChannels(config.ImageStd, "image_std") ?? (Kind == ImageProcessorKind.Clip ? OpenAiClipStd : ImageNetStandardStd);
        IncludeTop = Kind == ImageProcessorKind.EfficientNet && (config.IncludeTop ?? true);
        if (config.DoConvertRgb == false)
            throw new NotSupportedException("preprocessor_config.json: do_convert_rgb false is not supported; images are always read as RGB.");
    }

    /// <summary>Reads the processor of a model folder (its <c>preprocessor_config.json</c>).</summary>
    public static ImageProcessor Load(string folderOrFile, ImageProcessorKind? kind = null) =>
        new(ImageProcessorConfig.Load(folderOrFile), kind);

    /// <summary>The processor class named in the file (<c>image_processor_type</c>, or the legacy <c>feature_extractor_type</c>).</summary>
    public static ImageProcessorKind KindOf(ImageProcessorConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var name = config.ImageProcessorType ?? config.FeatureExtractorType
                   ?? throw new InvalidDataException("preprocessor_config.json names no image_processor_type or feature_extractor_type; pass the kind explicitly.");
        return name switch
        {
            "CLIPImageProcessor" or "CLIPFeatureExtractor" => ImageProcessorKind.Clip,
            "ViTImageProcessor" or "ViTFeatureExtractor" => ImageProcessorKind.Vit,
            "EfficientNetImageProcessor" => ImageProcessorKind.EfficientNet,
            _ => throw new NotSupportedException($"Image processor '{name}' is not supported (CLIP, ViT, EfficientNet)."),
        };
    }

    /// <summary>The geometric part, on 8-bit pixels: resize (Pillow) then centre crop.</summary>
    public RgbImage ResizeAndCrop(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (DoResize)
        {
            var (h, w) = OutputSize(image.Width, image.Height);
            image = PillowResize.Resize(image, w, h, Resample);
        }
        if (DoCenterCrop) image = image.CenterCrop(CropSize.Width, CropSize.Height);
        return image;
    }

    /// <summary>
    /// transformers' <c>get_resize_output_image_size</c>: the short side becomes the edge, the long side
    /// <c>int(edge * long / short)</c> (true division in double, then truncation); or the configured height x width.
    /// </summary>
    public (int Height, int Width) OutputSize(int width, int height)
    {
        if (ShortestEdge is not int edge) return ResizeTo!.Value;
        bool widthIsShort = width <= height;
        int shortSide = widthIsShort ? width : height, longSide = widthIsShort ? height : width;
        int newLong = (int)((double)edge * longSide / shortSide);
        return widthIsShort ? (newLong, edge) : (edge, newLong);
    }

    /// <summary>One image -> CHW float32 values (written into <paramref name="destination"/>, 3 * H * W long); returns (H, W).</summary>
    public (int Height, int Width) Preprocess(RgbImage image, Span<float> destination)
    {
        var img = ResizeAndCrop(image);
        int plane = img.Width * img.Height;
        if (destination.Length != 3 * plane)
            throw new ArgumentException($"Destination holds {destination.Length} values, the processed image has {3 * plane}.", nameof(destination));
        // Per channel the byte -> float map is fixed, so tabulate it (256 entries) with exactly numpy's float32 steps.
        var tables = new float[3][];
        for (int c = 0; c < 3; c++)
        {
            var t = tables[c] = new float[256];
            for (int v = 0; v < 256; v++) t[v] = Value((byte)v, c);
        }
        var px = img.Pixels;
        for (int p = 0; p < plane; p++)
        {
            destination[p] = tables[0][px[3 * p]];
            destination[plane + p] = tables[1][px[3 * p + 1]];
            destination[2 * plane + p] = tables[2][px[3 * p + 2]];
        }
        return (img.Height, img.Width);
    }

    /// <summary>The value one 8-bit sample of channel <paramref name="channel"/> becomes.</summary>
    public float Value(byte sample, int channel)
    {
        float x = sample;   // astype(float32) when not rescaled
        if (DoRescale)
        {
            x = (float)(sample * RescaleFactor);   // numpy: uint8 * python float -> float64, then astype(float32)
            if (RescaleOffset) x -= 1f;           // EfficientNetImageProcessor.rescale(offset=True): float32 - 1
        }
        if (DoNormalize) x = (x - ImageMean[channel]) / ImageStd[channel];
        if (IncludeTop) x = (x - 0f) / ImageStd[channel];
        return x;
    }

    /// <summary>A batch -> float32 [N, 3, H, W] (<c>pixel_values</c>); all processed images must have one size, as transformers requires to stack them.</summary>
    public Tensor Preprocess(IReadOnlyList<RgbImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0) throw new ArgumentException("No images.", nameof(images));
        float[]? data = null;
        int h = 0, w = 0;
        for (int i = 0; i < images.Count; i++)
        {
            var (oh, ow) = ProcessedSize(images[i]);
            if (data == null) { h = oh; w = ow; data = new float[images.Count * 3 * h * w]; }
            else if (oh != h || ow != w)
                throw new ArgumentException($"Image {i} processes to {ow}x{oh}, image 0 to {w}x{h}: pixel values of one batch need one size.", nameof(images));
            Preprocess(images[i], data.AsSpan(i * 3 * h * w, 3 * h * w));
        }
        return torch.tensor(data!, [images.Count, 3, h, w], ScalarType.Float32);
    }

    /// <summary>The (H, W) an image will have after resize and crop.</summary>
    public (int Height, int Width) ProcessedSize(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var (h, w) = DoResize ? OutputSize(image.Width, image.Height) : (image.Height, image.Width);
        if (!DoCenterCrop) return (h, w);
        // Same span rule as RgbImage.CenterCrop (it can come out one short when padding an odd difference).
        var probe = new RgbImage(w, h, new byte[w * h * 3]).CenterCrop(CropSize.Width, CropSize.Height);
        return (probe.Height, probe.Width);
    }

    sealed record SizeDict(int? Height = null, int? Width = null, int? ShortestEdge = null, int? LongestEdge = null);

    /// <summary>transformers' <c>get_size_dict</c>: an int is square (or the shortest edge when not default_to_square), a list is (h, w), a dict is taken as is.</summary>
    static SizeDict? ParseSize(JsonElement? element, string name, bool defaultToSquare)
    {
        if (element is not JsonElement e || e.ValueKind == JsonValueKind.Null) return null;
        switch (e.ValueKind)
        {
            case JsonValueKind.Number:
                int s = e.GetInt32();
                return defaultToSquare ? new SizeDict(Height: s, Width: s) : new SizeDict(ShortestEdge: s);
            case JsonValueKind.Array when e.GetArrayLength() == 2:
                return new SizeDict(Height: e[0].GetInt32(), Width: e[1].GetInt32());
            case JsonValueKind.Object:
                int? Get(string key) => e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;
                var d = new SizeDict(Get("height"), Get("width"), Get("shortest_edge"), Get("longest_edge"));
                if (d.LongestEdge != null)
                    throw new NotSupportedException($"preprocessor_config.json: {name} with longest_edge is not supported.");
                return d;
            default:
                throw new InvalidDataException($"preprocessor_config.json: {name} must be a number, [height, width] or a dict, got {e}.");
        }
    }

    static float[]? ParseChannels(JsonElement? element, string name)
    {
        if (element is not JsonElement e || e.ValueKind == JsonValueKind.Null) return null;
        // np.array(mean, dtype=float32): each value rounded to float32 once.
        if (e.ValueKind == JsonValueKind.Number) return [(float)e.GetDouble(), (float)e.GetDouble(), (float)e.GetDouble()];
        if (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() == 3)
            return [(float)e[0].GetDouble(), (float)e[1].GetDouble(), (float)e[2].GetDouble()];
        throw new InvalidDataException($"preprocessor_config.json: {name} must be a number or 3 numbers, got {e}.");
    }
}
