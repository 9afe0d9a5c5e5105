using Rpo.Tests.Shared;

namespace Rpo.Worker.Tests;

public sealed class LayeringTests
{
    [Fact]
    public void The_worker_references_no_TorchSharp_its_jobs_run_through_Rpo_Pipeline_and_Rpo_Training()
    {
        Assert.Empty(Layering.References(typeof(JobMessageProcessor).Assembly, Layering.Tensors));

        // The check sees the worker's Azure side, so an empty answer above is a real one.
        Assert.Contains("Azure.Storage.Queues", Layering.References(typeof(JobMessageProcessor).Assembly, Layering.Azure));
    }
}
