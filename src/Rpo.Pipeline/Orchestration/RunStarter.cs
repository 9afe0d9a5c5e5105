using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;
using Rpo.Pipeline.Subjects;
using Rpo.Training.Prompts;

namespace Rpo.Pipeline.Orchestration;

/// <summary>What <see cref="RunStarter.StartOrJoinAsync"/> did: started the run, or found it already there.</summary>
/// <param name="Existing">The instance that already had this run id (null when this call started it).</param>
public sealed record RunStart(RunId RunId, bool Started, OrchestrationMetadata? Existing);

/// <summary>
/// Starts a subject's run once, whoever asks (the blob trigger on each upload, <c>rpo run</c>): the run id is the
/// instance id, so the same uploads and options join the run that exists instead of starting a second one.
/// </summary>
public sealed class RunStarter(DurableTaskClient client, IBlobStorage storage)
{
    /// <summary>
    /// Reads the subject's uploads (<see cref="RunInputs"/>) and subject.json's options, computes the run id and
    /// schedules <see cref="RpoRunOrchestrator"/> under it, unless an instance with that id exists (any status):
    /// then that instance is returned with <c>Started = false</c>. A subject the validator would refuse still starts:
    /// the run itself ends Failed naming each problem, so the user sees them where they look for the run.
    /// </summary>
    /// <param name="classNoun">The class the caller knows (<c>rpo run --class</c>); null to take subject.json's.</param>
    public async Task<RunStart> StartOrJoinAsync(string subjectId, string? classNoun = null, CancellationToken cancellationToken = default) =>
        await StartOrJoinAsync(await PrepareAsync(subjectId, classNoun, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <summary>The run the uploads ask for as they are now: its id and the orchestration's input.</summary>
    public async Task<RunRequest> PrepareAsync(string subjectId, string? classNoun = null, CancellationToken cancellationToken = default)
    {
        SubjectIds.Validate(subjectId, nameof(subjectId));
        var inputs = await RunInputs.ReadAsync(storage, subjectId, cancellationToken).ConfigureAwait(false);
        var manifestBlob = await storage.TryReadAsync(StorageLayout.SubjectJson(subjectId), cancellationToken).ConfigureAwait(false);
        var manifest = manifestBlob is null ? null : SubjectValidator.ReadManifest(manifestBlob.Content);
        var runId = RunId.For(subjectId, inputs, manifest?.Options ?? RunOptions.Default);
        return new RunRequest(subjectId, runId, classNoun, PromptTemplates(classNoun ?? manifest?.ClassNoun));
    }

    /// <summary>Schedules <paramref name="request"/> under its run id unless an instance with that id exists.</summary>
    public async Task<RunStart> StartOrJoinAsync(RunRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var runId = request.RunId;
        var existing = await client.GetInstanceAsync(runId.Value, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            return new RunStart(runId, false, existing);
        }

        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(nameof(RpoRunOrchestrator), request, new StartOrchestrationOptions(runId.Value), cancellationToken)
                .ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Hosts report "already exists" differently (gRPC status, storage conflict); the instance read below decides.
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
        {
            // Two starters raced (two uploads' triggers at once): the loser finds the winner's instance and joins it.
            var winner = await client.GetInstanceAsync(runId.Value, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false);
            if (winner is null)
            {
                throw;
            }

            return new RunStart(runId, false, winner);
        }

        return new RunStart(runId, true, null);
    }

    /// <summary>
    /// The trainer's eight prompts for the class as templates ("{0}" the identifier, "{1}" the class noun), the list
    /// chosen by the class (live or object). An unknown or missing class takes the object list: that run fails
    /// validation before any prompt is used.
    /// </summary>
    public static IReadOnlyList<string> PromptTemplates(string? classNoun)
    {
        var kind = SubjectClasses.IsKnown(classNoun) ? TrainingPrompts.KindOf(classNoun!) : SubjectKind.Object;
        return TrainingPrompts.Training("{1}", kind, "{0}");
    }
}
