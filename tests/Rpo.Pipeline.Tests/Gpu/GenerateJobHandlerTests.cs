using Rpo.Diffusion.Imaging;
using Rpo.Pipeline.Gpu;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Storage;
using Rpo.Pipeline.Tests.Subjects;

namespace Rpo.Pipeline.Tests.Gpu;

public sealed class GenerateJobHandlerTests : IAsyncDisposable
{
    private readonly TempLocalStore _temp = new();

    private IBlobStorage Store => _temp.Store;

    [Fact]
    public async Task Writes_seeded_pngs_per_prompt_and_image_and_returns_only_their_blobs()
    {
        var handler = new GenerateJobHandler(Store, GpuTestKit.Models, GpuTestKit.Scratch);
        var runId = GpuTestKit.RunId();
        var job = new GenerateJob(runId, 0, GpuModels.Tiny, null, GpuTestKit.Prompts, 2, 40, StorageLayout.NegativesFolder(runId), InferenceSteps: 2, GuidanceScale: 5);

        var result = await handler.HandleAsync(job, CancellationToken.None);

        Assert.True(result.Succeeded, result.Error?.Message);
        Assert.Equal(
            ["00/000.png", "00/001.png", "01/000.png", "01/001.png"],
            result.Outputs.Select(o => o.RelativeTo(job.OutputFolder)));
        Assert.Equal([.. result.Outputs.Select(o => o.RelativeTo(job.OutputFolder)), "negatives.json"], await GpuTestKit.ListAsync(Store, job.OutputFolder));
        var images = new List<byte[]>();
        foreach (var blob in result.Outputs)
        {
            var bytes = (await Store.ReadAsync(blob)).Content.ToArray();
            var image = ImageFile.DecodeRgb(bytes);
            Assert.Equal((64, 64), (image.Width, image.Height));
            images.Add(bytes);
        }

        Assert.Equal(4, images.Select(Convert.ToBase64String).Distinct().Count());

        // Image k of prompt i has seed 40 + i·2 + k: a job for prompt 1 alone from seed 42 redraws prompt 1's images.
        var alone = job with { Index = 1, Prompts = [GpuTestKit.Prompts[1]], Seed = 42, OutputFolder = StorageLayout.WorkFile(runId, "alone/") };
        var again = await handler.HandleAsync(alone, CancellationToken.None);
        Assert.Equal(images[2], (await Store.ReadAsync(again.Outputs[0])).Content.ToArray());
        Assert.Equal(images[3], (await Store.ReadAsync(again.Outputs[1])).Content.ToArray());
        Assert.DoesNotContain(Directory.GetDirectories(GpuTestKit.Scratch), d => Path.GetFileName(d).StartsWith(job.JobId.Replace(':', '_'), StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_unet_folder_from_storage_replaces_the_base_unet()
    {
        var handler = new GenerateJobHandler(Store, GpuTestKit.Models, GpuTestKit.Scratch);
        var runId = GpuTestKit.RunId();
        var baseJob = new GenerateJob(runId, 0, GpuModels.Tiny, null, [GpuTestKit.Prompts[0]], 1, 3, StorageLayout.WorkFile(runId, "base/"), InferenceSteps: 2);

        // The base model's own UNet, read from storage as a fine-tuned one would be, draws the base model's images.
        var unetFolder = Path.Combine(GpuTestKit.Models.ResolvePipeline(GpuModels.Tiny), "unet");
        var same = StorageLayout.WorkFile(runId, "same-unet/");
        foreach (var file in Directory.GetFiles(unetFolder))
        {
            await Store.WriteAsync(same.Combine(Path.GetFileName(file)), File.ReadAllBytes(file));
        }

        var fromBase = await handler.HandleAsync(baseJob, CancellationToken.None);
        var fromCopy = await handler.HandleAsync(baseJob with { Index = 1, Unet = same, OutputFolder = StorageLayout.WorkFile(runId, "copy/") }, CancellationToken.None);

        Assert.True(fromCopy.Succeeded, fromCopy.Error?.Message);
        Assert.Equal((await Store.ReadAsync(fromBase.Outputs[0])).Content.ToArray(), (await Store.ReadAsync(fromCopy.Outputs[0])).Content.ToArray());
    }

    public ValueTask DisposeAsync() => _temp.DisposeAsync();
}
