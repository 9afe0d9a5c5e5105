using Microsoft.DurableTask;

namespace Rpo.Pipeline.Orchestration;

/// <summary>Registers the run orchestration and its activities with a Durable Task worker (Functions, the local runner, tests).</summary>
public static class RpoOrchestration
{
    public static DurableTaskRegistry AddRpoRun(this DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry
            .AddOrchestrator<RpoRunOrchestrator>()
            .AddActivity<ValidateSubjectActivity>()
            .AddActivity<DispatchGenerateJobActivity>()
            .AddActivity<DispatchTrainJobActivity>()
            .AddActivity<DispatchScoreCheckpointJobActivity>()
            .AddActivity<PublishModelActivity>()
            .AddActivity<WriteCancelMarkerActivity>();
    }
}
