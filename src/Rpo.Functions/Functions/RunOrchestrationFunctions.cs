using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Subjects;

namespace Rpo.Functions.Functions;

/// <summary>
/// The run orchestration as a Durable Functions orchestrator: a thin wrapper over <see cref="RpoRunOrchestrator"/>,
/// the class the local runner registers with <see cref="RpoOrchestration.AddRpoRun"/>. Function names are the class
/// names, which is what the orchestrator calls its activities by.
/// </summary>
public static class RunOrchestratorFunction
{
    [Function(nameof(RpoRunOrchestrator))]
    public static Task<RunOutcome> RunAsync([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.GetInput<RunRequest>() ?? throw new InvalidOperationException($"{nameof(RpoRunOrchestrator)} was started without a {nameof(RunRequest)}.");
        return new RpoRunOrchestrator().RunAsync(context, request);
    }
}

/// <summary>
/// The run's activities as Durable Functions activities, each a thin wrapper over its Rpo.Pipeline class (resolved
/// from the app's services, like the local runner's registry does).
/// </summary>
public sealed class RunActivityFunctions(
    ValidateSubjectActivity validateSubject,
    DispatchGenerateJobActivity dispatchGenerate,
    DispatchTrainJobActivity dispatchTrain,
    DispatchScoreCheckpointJobActivity dispatchScore,
    PublishModelActivity publishModel,
    WriteCancelMarkerActivity writeCancelMarker)
{
    [Function(nameof(ValidateSubjectActivity))]
    public Task<SubjectValidationResult> ValidateSubjectAsync([ActivityTrigger] ValidateSubjectInput input, string instanceId) =>
        validateSubject.RunAsync(new FunctionActivityContext(nameof(ValidateSubjectActivity), instanceId), input);

    [Function(nameof(DispatchGenerateJobActivity))]
    public Task<string> DispatchGenerateJobAsync([ActivityTrigger] GenerateJob input, string instanceId) =>
        dispatchGenerate.RunAsync(new FunctionActivityContext(nameof(DispatchGenerateJobActivity), instanceId), input);

    [Function(nameof(DispatchTrainJobActivity))]
    public Task<string> DispatchTrainJobAsync([ActivityTrigger] TrainJob input, string instanceId) =>
        dispatchTrain.RunAsync(new FunctionActivityContext(nameof(DispatchTrainJobActivity), instanceId), input);

    [Function(nameof(DispatchScoreCheckpointJobActivity))]
    public Task<string> DispatchScoreCheckpointJobAsync([ActivityTrigger] ScoreCheckpointJob input, string instanceId) =>
        dispatchScore.RunAsync(new FunctionActivityContext(nameof(DispatchScoreCheckpointJobActivity), instanceId), input);

    [Function(nameof(PublishModelActivity))]
    public Task<PublishModelOutput> PublishModelAsync([ActivityTrigger] PublishModelInput input, string instanceId) =>
        publishModel.RunAsync(new FunctionActivityContext(nameof(PublishModelActivity), instanceId), input);

    [Function(nameof(WriteCancelMarkerActivity))]
    public Task<string> WriteCancelMarkerAsync([ActivityTrigger] CancelMarkerInput input, string instanceId) =>
        writeCancelMarker.RunAsync(new FunctionActivityContext(nameof(WriteCancelMarkerActivity), instanceId), input);

    /// <summary>The activity classes, for the app's container (each built per call, as the Durable Task worker does).</summary>
    public static IServiceCollection AddActivities(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services
            .AddTransient<ValidateSubjectActivity>()
            .AddTransient<DispatchGenerateJobActivity>()
            .AddTransient<DispatchTrainJobActivity>()
            .AddTransient<DispatchScoreCheckpointJobActivity>()
            .AddTransient<PublishModelActivity>()
            .AddTransient<WriteCancelMarkerActivity>();
    }

    /// <summary>What an activity class sees of its invocation; the Functions binding gives the name and the instance id.</summary>
    private sealed class FunctionActivityContext(TaskName name, string instanceId) : TaskActivityContext
    {
        public override TaskName Name { get; } = name;

        public override string InstanceId { get; } = instanceId;
    }
}
