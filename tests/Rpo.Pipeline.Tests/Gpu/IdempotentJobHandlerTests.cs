using Rpo.Pipeline.Gpu;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Storage;
using Rpo.Pipeline.Tests.Subjects;

namespace Rpo.Pipeline.Tests.Gpu;

public sealed class IdempotentJobHandlerTests : IAsyncDisposable
{
    private readonly TempLocalStore _temp = new();

    [Fact]
    public async Task A_job_whose_result_is_stored_gets_that_result_back_without_running_again()
    {
        var store = _temp.Store;
        var handler = new IdempotentJobHandler(new GenerateJobHandler(store, GpuTestKit.Models, GpuTestKit.Scratch), store);
        var runId = GpuTestKit.RunId();
        var job = new GenerateJob(runId, 3, GpuModels.Tiny, null, [GpuTestKit.Prompts[0]], 1, 0, StorageLayout.NegativesFolder(runId).Combine("03/"), InferenceSteps: 1);

        var first = await handler.HandleAsync(job, CancellationToken.None);
        Assert.True(first.Succeeded, first.Error?.Message);
        Assert.True(await store.ExistsAsync(IdempotentJobHandler.ResultBlob(job)));

        // Its image removed: a rerun that did any work would write it again.
        await store.DeleteAsync(first.Outputs[0]);
        var second = await handler.HandleAsync(job, CancellationToken.None);

        Assert.Equal(JobMessages.Serialize(first).ToString(), JobMessages.Serialize(second).ToString());
        Assert.False(await store.ExistsAsync(first.Outputs[0]));
    }

    [Fact]
    public async Task Handlers_from_the_factory_keep_their_results()
    {
        var handlers = GpuJobHandlers.Create(_temp.Store, GpuTestKit.Models, new RecordingProgress(), GpuTestKit.Scratch);

        Assert.Equal([JobKind.Generate, JobKind.Train, JobKind.ScoreCheckpoint], handlers.Select(h => h.Kind));
        Assert.All(handlers, h => Assert.IsType<IdempotentJobHandler>(h));
    }

    public ValueTask DisposeAsync() => _temp.DisposeAsync();
}
