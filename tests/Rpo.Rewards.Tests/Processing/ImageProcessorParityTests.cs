using Rpo.Diffusion.Imaging;
using Rpo.Diffusion.Parity;
using Rpo.Rewards.Processing;
using Rpo.Tests.Shared;

namespace Rpo.Rewards.Tests.Processing;

/// <summary>
/// Image files -> processor pixel values, against the stored transformers 4.36.2 / Pillow 9.4 outputs of the reward
/// and metrics cases (each case's preprocessor_config.json drives the processor).
/// </summary>
public class ImageProcessorParityTests
{
    /// <summary>(case, model sub-folder holding preprocessor_config.json, image role, output name).</summary>
    public static TheoryData<string, string, string, string> Cases => new()
    {
        { "reward-clip-tiny", "", "reference", "pixel_values_reference" },
        { "reward-clip-tiny", "", "candidates", "pixel_values_candidates" },
        { "reward-align-tiny", "", "reference", "pixel_values_reference" },
        { "reward-align-tiny", "", "candidates", "pixel_values_candidates" },
        { "metrics-dreambench-tiny", "dino", "reference", "pixel_values_dino_reference" },
        { "metrics-dreambench-tiny", "dino", "generated", "pixel_values_dino_generated" },
        { "metrics-dreambench-tiny", "clip", "reference", "pixel_values_clip_reference" },
        { "metrics-dreambench-tiny", "clip", "generated", "pixel_values_clip_generated" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Pixel_values_match_the_reference(string caseName, string modelFolder, string role, string output)
    {
        using var fixture = FixtureCase.Load(TestPaths.Fixture(caseName));
        var processor = ImageProcessor.Load(Path.Combine(fixture.Folder, modelFolder));

        // Sorted file order, as the reference takes them; it must agree with case.json's list.
        var files = Directory.GetFiles(Path.Combine(fixture.Folder, "images", role)).Order(StringComparer.Ordinal).ToList();
        var listed = fixture.Json.GetProperty("images").EnumerateArray()
            .Where(i => i.GetProperty("role").GetString() == role)
            .Select(i => Path.Combine(fixture.Folder, i.GetProperty("file").GetString()!)).ToList();
        Assert.Equal(listed.Select(Path.GetFullPath), files.Select(Path.GetFullPath));

        var images = files.Select(f => ImageFile.ReadRgb(f)).ToList();
        using var pixelValues = processor.Preprocess(images);
        var result = Parity.AssertClose(fixture, output, pixelValues);
        Console.WriteLine($"[{caseName}] {output}: {processor.Kind}, max |Δ| = {result.MaxAbs:G3} (atol {result.Atol:G3})");
    }

    [Fact]
    public void Processor_kinds_and_settings_come_from_the_files()
    {
        var clip = ImageProcessor.Load(TestPaths.Fixture("reward-clip-tiny"));
        Assert.Equal(ImageProcessorKind.Clip, clip.Kind);
        Assert.Equal(32, clip.ShortestEdge);
        Assert.Equal(ResampleFilter.Bicubic, clip.Resample);
        Assert.True(clip.DoCenterCrop);
        Assert.Equal((32, 32), clip.CropSize);
        Assert.Equal(1.0 / 255, clip.RescaleFactor);   // class default: the legacy file does not name it

        var align = ImageProcessor.Load(TestPaths.Fixture("reward-align-tiny"));
        Assert.Equal(ImageProcessorKind.EfficientNet, align.Kind);
        Assert.Equal((38, 38), align.ResizeTo);
        Assert.Equal(ResampleFilter.Bilinear, align.Resample);
        Assert.True(align.RescaleOffset);
        Assert.False(align.DoNormalize);
        Assert.False(align.IncludeTop);

        var dino = ImageProcessor.Load(TestPaths.Fixture("metrics-dreambench-tiny", "dino"));
        Assert.Equal(ImageProcessorKind.Vit, dino.Kind);
        Assert.Equal((32, 32), dino.ResizeTo);
        Assert.False(dino.DoCenterCrop);
        Assert.Equal([0.5f, 0.5f, 0.5f], dino.ImageMean);
    }

    [Fact]
    public void Clip_keeps_the_aspect_and_truncates_the_long_side()
    {
        var clip = ImageProcessor.Load(TestPaths.Fixture("reward-clip-tiny"));
        // 100x75 -> short side 75 -> 32, long side int(32 * 100 / 75) = int(42.67) = 42
        Assert.Equal((32, 42), clip.OutputSize(100, 75));
        Assert.Equal((43, 32), clip.OutputSize(30, 41));   // int(32 * 41 / 30) = int(43.73)
        Assert.Equal((32, 32), clip.OutputSize(64, 64));
    }

    [Fact]
    public void Rescale_and_normalise_round_like_numpy_float32()
    {
        var align = ImageProcessor.Load(TestPaths.Fixture("reward-align-tiny"));
        Assert.Equal(-1f, align.Value(0, 0));
        Assert.Equal((float)(255 * 0.00784313725490196) - 1f, align.Value(255, 2));
        var dino = ImageProcessor.Load(TestPaths.Fixture("metrics-dreambench-tiny", "dino"));
        Assert.Equal(((float)(128 * (1.0 / 255)) - 0.5f) / 0.5f, dino.Value(128, 1));
    }

    [Fact]
    public void Unknown_processor_classes_are_refused()
    {
        var config = new ImageProcessorConfig { ImageProcessorType = "SiglipImageProcessor" };
        Assert.Throws<NotSupportedException>(() => new ImageProcessor(config));
        Assert.Throws<InvalidDataException>(() => new ImageProcessor(new ImageProcessorConfig()));
        // Naming the kind explicitly uses that class's defaults (CLIP: 224 shortest edge, crop 224, bicubic).
        var clip = new ImageProcessor(new ImageProcessorConfig(), ImageProcessorKind.Clip);
        Assert.Equal(224, clip.ShortestEdge);
        Assert.Equal((224, 224), clip.CropSize);
    }
}
