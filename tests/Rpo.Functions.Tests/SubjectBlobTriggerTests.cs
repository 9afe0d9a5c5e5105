using System.Text.Json;
using Microsoft.DurableTask.Client;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;
using static Rpo.Pipeline.Tests.Subjects.SubjectUploads;

namespace Rpo.Functions.Tests;

/// <summary>The completeness rule of the subjects/ blob trigger (see <see cref="Functions.SubjectBlobTrigger"/>).</summary>
public sealed class SubjectBlobTriggerTests
{
    internal const string SubjectJson = """{ "classNoun": "dog", "options": { "steps": 20, "valEvery": 10, "negatives": 2, "valImages": 2, "sampleSteps": 2 } }""";

    private static async Task<List<OrchestrationMetadata>> InstancesAsync(FunctionsHarness harness, RunId[] runIds)
    {
        var found = new List<OrchestrationMetadata>();
        foreach (var runId in runIds)
        {
            if (await harness.Client.GetInstanceAsync(runId.Value) is { } instance)
            {
                found.Add(instance);
            }
        }

        return found;
    }

    [Fact]
    public async Task Service_bus_mocked_photos_before_subject_json_start_nothing_and_the_marker_starts_the_run_of_the_whole_set()
    {
        await using var harness = await FunctionsHarness.StartWithRecordedJobsAsync();

        await harness.UploadAsync("rex", ("a.png", Png(256, 256, 1)), ("b.png", Png(256, 256, 2)));
        var photosOnly = await harness.CurrentRunIdAsync("rex");
        Assert.Null(await harness.Client.GetInstanceAsync(photosOnly.Value));

        await harness.UploadAsync("rex", ("subject.json", Json(SubjectJson)));

        var runId = await harness.CurrentRunIdAsync("rex");
        var instance = await harness.Client.GetInstanceAsync(runId.Value);
        Assert.NotNull(instance);
        Assert.Equal(nameof(RpoRunOrchestrator), instance.Name);
        var status = await harness.WaitForStageAsync(runId, RunStage.GeneratingNegatives);
        Assert.Equal(8, status.NegativePrompts);
        Assert.Equal(20, status.TotalSteps);
    }

    [Fact]
    public async Task Service_bus_mocked_events_of_the_same_uploads_join_one_run_and_an_ignored_file_changes_nothing()
    {
        await using var harness = await FunctionsHarness.StartWithRecordedJobsAsync();
        await harness.UploadAsync("rex", ("a.png", Png(256, 256, 1)), ("b.png", Png(256, 256, 2)), ("subject.json", Json(SubjectJson)));
        var runId = await harness.CurrentRunIdAsync("rex");
        var first = await harness.Client.GetInstanceAsync(runId.Value);

        // The same events again (Event Grid delivers at least once), then a .DS_Store after the marker.
        await harness.TriggerAsync("rex", "subject.json");
        await harness.TriggerAsync("rex", "a.png");
        await harness.UploadAsync("rex", (".DS_Store", Json("finder")), ("Thumbs.db", Json("explorer")));

        Assert.Equal(runId, await harness.CurrentRunIdAsync("rex"));
        var instance = await harness.Client.GetInstanceAsync(runId.Value);
        Assert.NotNull(instance);
        Assert.Equal(first!.CreatedAt, instance.CreatedAt);
        Assert.True(RunCanceller.IsActive(instance.RuntimeStatus), instance.RuntimeStatus.ToString());
        Assert.False(await harness.Store.ExistsAsync(StorageLayout.CancelMarker(runId)));
    }

    [Fact]
    public async Task Service_bus_mocked_a_photo_after_the_marker_starts_the_new_sets_run_and_cancels_the_superseded_one_of_that_subject_only()
    {
        await using var harness = await FunctionsHarness.StartWithRecordedJobsAsync();
        await harness.UploadAsync("rex", ("a.png", Png(256, 256, 1)), ("b.png", Png(256, 256, 2)), ("subject.json", Json(SubjectJson)));
        await harness.UploadAsync("rex-2", ("a.png", Png(256, 256, 3)), ("b.png", Png(256, 256, 4)), ("subject.json", Json(SubjectJson)));
        var first = await harness.CurrentRunIdAsync("rex");
        var neighbour = await harness.CurrentRunIdAsync("rex-2");
        await harness.WaitForStageAsync(first, RunStage.GeneratingNegatives);

        await harness.UploadAsync("rex", ("c.png", Png(300, 256, 5)));

        var second = await harness.CurrentRunIdAsync("rex");
        Assert.NotEqual(first, second);
        Assert.NotNull(await harness.Client.GetInstanceAsync(second.Value));

        var superseded = await harness.WaitForCompletionAsync(first);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, superseded.RuntimeStatus);
        var outcome = superseded.ReadOutputAs<RunOutcome>()!;
        Assert.Equal(RunResultKind.Canceled, outcome.Result);
        Assert.Contains($"superseded by run {second}", outcome.Message, StringComparison.Ordinal);
        var marker = await harness.Store.ReadAsync(StorageLayout.CancelMarker(first));
        Assert.Contains(second.Value, JsonDocument.Parse(marker.Content).RootElement.GetProperty("reason").GetString(), StringComparison.Ordinal);

        // The new run and the other subject whose name starts the same go on.
        var instances = await InstancesAsync(harness, [second, neighbour]);
        Assert.Equal(2, instances.Count);
        Assert.All(instances, i => Assert.True(RunCanceller.IsActive(i.RuntimeStatus), $"{i.InstanceId}: {i.RuntimeStatus}"));
        Assert.False(await harness.Store.ExistsAsync(StorageLayout.CancelMarker(neighbour)));
    }

    [Fact]
    public async Task Service_bus_mocked_an_upload_into_a_folder_that_is_no_subject_id_is_ignored()
    {
        await using var harness = await FunctionsHarness.StartWithRecordedJobsAsync();

        await harness.TriggerAsync("-not a subject", "a.png");

        Assert.Contains(harness.Log.Entries, e => e.Message.Contains("is not a subject id", StringComparison.Ordinal));
        Assert.Empty(((RecordingJobDispatcher)harness.Dispatcher).Sent);
    }
}
