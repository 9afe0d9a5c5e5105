using System.Diagnostics;
using static TorchSharp.torch;

namespace Rpo.Training.Tests;

[Collection(MemoryCollection.Name)]
public class FiftyStepMemoryTests
{
    [Fact]
    public void Live_tensor_count_and_rss_are_flat_after_the_first_step()
    {
        using var setup = new TinyTrainingSetup();
        var models = setup.Models();
        using var trainer = new RpoTrainer(models, setup.Data, TinyTrainingSetup.Options(steps: 50, valEvery: 50));
        var first = trainer.TrainStep();
        Assert.True(double.IsFinite(first.Loss));
        GC.Collect(); GC.WaitForPendingFinalizers();
        long liveAfterFirst = Tensor.TotalCount;
        long rssAfterFirst = Process.GetCurrentProcess().WorkingSet64;
        var seen = new List<TrainingProgress>();
        trainer.Train(checkpointRoot: null, progress: seen.Add);
        GC.Collect(); GC.WaitForPendingFinalizers();
        long liveAfterAll = Tensor.TotalCount;
        long rssGrowth = Process.GetCurrentProcess().WorkingSet64 - rssAfterFirst;
        Assert.Equal(50, trainer.Step);
        Assert.Equal(49, seen.Count);
        Assert.Equal(50, seen[^1].LabelsSeen);
        Assert.All(seen, p => Assert.True(double.IsFinite(p.Loss)));
        Assert.True(liveAfterFirst == liveAfterAll, $"live tensors {liveAfterFirst} after the first step, {liveAfterAll} after 50");
        Assert.True(rssGrowth < 64L << 20, $"RSS grew by {rssGrowth >> 20} MiB over 49 steps");
        // Latents and embeddings were computed once: 3 references + 8 generated, reference prompt + 8 training prompts.
        Assert.Equal(11, ((PoolingLatentEncoder)models.Vae).Calls);
        Assert.Equal(9, ((HashPromptEncoder)models.TextEncoder).Calls);
    }
}
