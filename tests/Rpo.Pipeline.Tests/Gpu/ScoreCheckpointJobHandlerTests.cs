using System.Text.Json;
using Rpo.Diffusion.Imaging;
using Rpo.Pipeline.Gpu;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Storage;
using Rpo.Pipeline.Tests.Storage;

namespace Rpo.Pipeline.Tests.Gpu;

/// <summary>Scoring a checkpoint on Azurite: the base UNet stands in for a checkpoint (a diffusers unet folder in storage).</summary>
public sealed class ScoreCheckpointJobHandlerTests
{
    [Fact]
    public async Task Scores_a_checkpoint_on_azurite_writing_its_images_and_score_json_and_reporting_the_mean_reward()
    {
        await using var azurite = new AzuriteStoreUnderTest(await Azurite.CreateStoreAsync());
        var store = azurite.Store;
        var runId = GpuTestKit.RunId();
        var checkpoint = StorageLayout.Checkpoint(runId, 2).Combine("unet/");
        foreach (var file in Directory.GetFiles(Path.Combine(GpuTestKit.Models.ResolvePipeline(GpuModels.Tiny), "unet")))
        {
            await store.WriteAsync(checkpoint.Combine(Path.GetFileName(file)), File.ReadAllBytes(file));
        }

        var options = GpuTestKit.TinyOptions() with { ValImages = 2 };
        var job = new ScoreCheckpointJob(runId, 0, 2, options, checkpoint, await GpuTestKit.PutPhotosAsync(store), GpuTestKit.Prompts, StorageLayout.CheckpointScore(runId, 2));
        var handler = new ScoreCheckpointJobHandler(store, GpuTestKit.Models, GpuTestKit.Scratch);

        var result = await handler.HandleAsync(job, CancellationToken.None);

        Assert.True(result.Succeeded, result.Error?.Message);
        var images = StorageLayout.CheckpointImages(runId, 2);
        Assert.Equal([job.Output, images], result.Outputs);
        Assert.Equal(["00/000.png", "00/001.png", "01/000.png", "01/001.png"], await GpuTestKit.ListAsync(store, images));
        var image = ImageFile.DecodeRgb((await store.ReadAsync(images.Combine("01/001.png"))).Content.ToArray());
        Assert.Equal((64, 64), (image.Width, image.Height));

        using var score = JsonDocument.Parse((await store.ReadAsync(job.Output)).Content);
        var mean = score.RootElement.GetProperty("mean_reward").GetDouble();
        Assert.Equal(mean, result.Metrics[ScoreMetrics.Reward]);
        Assert.InRange(mean, 0, 1);
        var prompts = score.RootElement.GetProperty("prompts").EnumerateArray().ToList();
        Assert.Equal(GpuTestKit.Prompts, prompts.Select(p => p.GetProperty("prompt").GetString()));
        // The reward reads the prompt without the identifier.
        Assert.Equal("a dog in the snow", prompts[0].GetProperty("text_prompt").GetString());
        Assert.Equal(mean, prompts.Average(p => p.GetProperty("rewards").EnumerateArray().Average(r => r.GetDouble())), 12);

        // Same seeds for every checkpoint: scoring again (another ordinal) draws the same images and reward.
        var again = await handler.HandleAsync(job with { Index = 1, Output = StorageLayout.WorkFile(runId, "again.json") }, CancellationToken.None);
        Assert.Equal(mean, again.Metrics[ScoreMetrics.Reward]);
    }
}
