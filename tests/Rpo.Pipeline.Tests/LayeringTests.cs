using Rpo.Diffusion.Runtime;
using Rpo.Pipeline.Gpu;
using Rpo.Rewards;
using Rpo.Tests.Shared;
using Rpo.Training;

namespace Rpo.Pipeline.Tests;

public sealed class LayeringTests
{
    [Fact]
    public void The_pipeline_references_no_TorchSharp_its_models_are_Rpo_Training_s()
    {
        Assert.Empty(Layering.References(typeof(GpuModels).Assembly, Layering.Tensors));

        // The check sees a TorchSharp reference where there is one.
        Assert.Equal(["TorchSharp"], Layering.References(typeof(RpoTrainer).Assembly, Layering.Tensors));
    }

    [Fact]
    public void Diffusion_rewards_and_training_reference_no_Azure_or_Durable_Task_assembly()
    {
        Assert.Empty(Layering.References(typeof(TorchRuntime).Assembly, Layering.Azure));
        Assert.Empty(Layering.References(typeof(RewardModel).Assembly, Layering.Azure));
        Assert.Empty(Layering.References(typeof(RpoTrainer).Assembly, Layering.Azure));

        // The check sees the Azure side where it is: the pipeline writes blobs and runs on Durable Task.
        var pipeline = Layering.References(typeof(GpuModels).Assembly, Layering.Azure);
        Assert.Contains("Azure.Storage.Blobs", pipeline);
        Assert.Contains(pipeline, name => name.StartsWith("Microsoft.DurableTask", StringComparison.Ordinal));
    }
}
