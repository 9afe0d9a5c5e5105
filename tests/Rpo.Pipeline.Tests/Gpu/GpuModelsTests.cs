using Rpo.Pipeline.Gpu;
using Rpo.Pipeline.Runs;

namespace Rpo.Pipeline.Tests.Gpu;

public sealed class GpuModelsTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "rpo-gpu-models-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public void Tiny_is_written_once_into_the_cache_with_its_reward_encoder_and_an_existing_folder_is_used_as_is()
    {
        using var models = new GpuModels(new GpuModelSettings(Path.Combine(_root, "cache")));

        var tiny = models.ResolvePipeline(GpuModels.Tiny);
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(tiny, "unet", "diffusion_pytorch_model.safetensors"));
        var again = models.ResolvePipeline("TINY");

        Assert.Equal(Path.Combine(_root, "cache", "tiny"), tiny);
        Assert.Equal(tiny, again);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(tiny, "unet", "diffusion_pytorch_model.safetensors")));
        Assert.Equal(tiny, models.ResolvePipeline(tiny));
        // The bundled reward/ wins over the encoder setting (the tiny one is CLIP whatever the run asks).
        Assert.Equal(Path.Combine(tiny, "reward"), models.ResolveReward(tiny, RewardEncoder.Align));
    }

    [Fact]
    public void A_hugging_face_id_resolves_under_the_models_folder_or_fails_saying_where_to_put_it()
    {
        var mounted = Path.Combine(_root, "models");
        using var models = new GpuModels(new GpuModelSettings(Path.Combine(_root, "cache"), ModelsFolder: mounted));

        var missing = Assert.Throws<ModelNotFoundException>(() => models.ResolvePipeline(RunOptions.DefaultBaseModel));
        Assert.Contains("'stabilityai/stable-diffusion-2-1' is not a local folder", missing.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(mounted, "stabilityai/stable-diffusion-2-1"), missing.Message, StringComparison.Ordinal);
        Assert.Contains("huggingface-cli download", missing.Message, StringComparison.Ordinal);

        // A folder without a UNet is named as not a diffusers folder.
        var empty = Path.Combine(mounted, "stabilityai", "stable-diffusion-2-1");
        Directory.CreateDirectory(empty);
        Assert.Contains("no unet/config.json", Assert.Throws<ModelNotFoundException>(() => models.ResolvePipeline(RunOptions.DefaultBaseModel)).Message, StringComparison.Ordinal);

        // Mounted whole (the tiny model standing in): found, and with no reward/ the configured encoder folder is asked for.
        Directory.Delete(empty);
        Directory.Move(models.ResolvePipeline(GpuModels.Tiny), empty);
        Directory.Delete(Path.Combine(empty, "reward"), recursive: true);
        Assert.Equal(empty, models.ResolvePipeline(RunOptions.DefaultBaseModel));
        var noReward = Assert.Throws<ModelNotFoundException>(() => models.ResolveReward(RunOptions.DefaultBaseModel, RewardEncoder.Align));
        Assert.Contains("No ALIGN reward encoder", noReward.Message, StringComparison.Ordinal);
        Assert.Contains("RpoWorker__AlignRewardFolder", noReward.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_configured_reward_folder_serves_a_pipeline_without_one()
    {
        var clip = Path.Combine(_root, "clip");
        Directory.CreateDirectory(clip);
        var pipeline = Path.Combine(_root, "sd");
        Directory.CreateDirectory(Path.Combine(pipeline, "unet"));
        File.WriteAllText(Path.Combine(pipeline, "unet", "config.json"), "{}");
        using var models = new GpuModels(new GpuModelSettings(Path.Combine(_root, "cache"), ClipRewardFolder: clip, AlignRewardFolder: Path.Combine(_root, "absent")));

        Assert.Equal(clip, models.ResolveReward(pipeline, RewardEncoder.Clip));
        Assert.Contains("does not exist", Assert.Throws<ModelNotFoundException>(() => models.ResolveReward(pipeline, RewardEncoder.Align)).Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
