using System.Text.Json;
using Rpo.Cli;
using Rpo.Cli.Commands;
using Rpo.Pipeline.Local;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;
using Rpo.Tests.Shared;
using Spectre.Console;

namespace Rpo.Cli.Tests;

/// <summary><c>rpo run</c>, <c>status</c>, <c>cancel</c> and <c>models</c> as a user types them, on a local storage folder.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class RunCommandTests : IDisposable
{
    /// <summary>The tiny mock model is written once per test process, as a user's rpo-cache keeps it.</summary>
    static readonly string Cache = Path.Combine(Path.GetTempPath(), "rpo-run-command-tests", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    readonly string _dir = Directory.CreateTempSubdirectory("rpo-run-").FullName;
    readonly StringWriter _out = new();
    readonly IAnsiConsole _console = AnsiConsole.Console;

    public RunCommandTests()
    {
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(_out), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
    }

    public void Dispose()
    {
        AnsiConsole.Console = _console;
        Directory.Delete(_dir, recursive: true);
    }

    string Storage => Path.Combine(_dir, "storage");

    string Printed => _out.ToString();

    string Subject(params string[] photos)
    {
        string subject = Path.Combine(_dir, "my dog");
        Directory.CreateDirectory(subject);
        foreach (var name in photos)
            File.Copy(Path.Combine(TestPaths.Shared, "dreambench", "dataset", "dog", name), Path.Combine(subject, name));
        File.WriteAllText(Path.Combine(subject, "README.md"), "not a photo: stays behind");
        return subject;
    }

    Task<int> Rpo(params string[] args) => RpoApp.RunAsync([.. args, "--storage", Storage]);

    Task<int> Run(string subject, params string[] args) =>
        Rpo(["run", "--subject", subject, "--class", "dog", "--cache", Cache, "--device", "cpu", .. args]);

    RunId OnlyRun()
    {
        var runs = Directory.GetDirectories(Path.Combine(Storage, "work"));
        return RunId.Parse(Path.GetFileName(Assert.Single(runs)));
    }

    [Fact]
    public async Task Run_in_mock_mode_publishes_then_status_and_models_show_it_and_a_second_run_reports_the_first()
    {
        string subject = Subject("00.jpg", "01.jpg");
        int exit = await Run(subject, "--steps", "2", "--val-every", "2", "--negatives", "1", "--val-images", "1", "--sample-steps", "2");
        Assert.True(exit == ExitCodes.Ok, Printed);

        // The folder went up as subject "my-dog": photos and subject.json, not the README.
        var uploaded = Directory.GetFiles(Path.Combine(Storage, "subjects", "my-dog")).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(["00.jpg", "01.jpg", "subject.json"], uploaded);
        var runId = OnlyRun();
        Assert.Equal("my-dog", runId.SubjectId);
        string version = StorageLayout.VersionFor(runId);
        foreach (var file in new[] { "rpo.json", "grid.png" })
            Assert.True(File.Exists(Path.Combine(Storage, "models", "my-dog", version, file)), file);
        Assert.Contains($"published {Storage}: models/my-dog/{version}/", Printed, StringComparison.Ordinal);
        Assert.Contains("best checkpoint: step 2", Printed, StringComparison.Ordinal);

        Assert.Equal(ExitCodes.Ok, await Rpo("status", runId.Value));
        Assert.Contains("completed", Printed, StringComparison.Ordinal);
        var status = await CaptureStdout(() => Rpo("status", runId.Value, "--json"));
        Assert.Equal("completed", JsonDocument.Parse(status).RootElement.GetProperty("runtimeStatus").GetString());

        var models = await CaptureStdout(() => Rpo("models", "my-dog", "--json"));
        var listed = Assert.Single(JsonDocument.Parse(models).RootElement.EnumerateArray());
        Assert.Equal(version, listed.GetProperty("version").GetString());
        Assert.True(listed.GetProperty("latest").GetBoolean());
        Assert.Equal(2, listed.GetProperty("selectedStep").GetInt32());

        // The same photos and options again: the same run, reported, nothing run.
        var workBefore = Directory.GetFiles(Path.Combine(Storage, "work"), "*", SearchOption.AllDirectories).Length;
        _out.GetStringBuilder().Clear();
        Assert.Equal(ExitCodes.Ok, await Run(subject, "--steps", "2", "--val-every", "2", "--negatives", "1", "--val-images", "1", "--sample-steps", "2"));
        Assert.Contains("already completed earlier; nothing was run", Printed, StringComparison.Ordinal);
        Assert.Equal(runId, OnlyRun());
        Assert.Equal(workBefore, Directory.GetFiles(Path.Combine(Storage, "work"), "*", SearchOption.AllDirectories).Length);

        // Finished: nothing to cancel.
        Assert.Equal(ExitCodes.Failed, await Rpo("cancel", runId.Value));
    }

    [Fact]
    public async Task Bad_photos_fail_the_run_naming_each_file_publish_nothing_and_leave_the_uploads_as_they_were()
    {
        string subject = Subject("00.jpg");
        var truncated = File.ReadAllBytes(Path.Combine(subject, "00.jpg"));
        File.WriteAllBytes(Path.Combine(subject, "broken.jpg"), truncated[..(truncated.Length / 2)]);
        File.WriteAllText(Path.Combine(subject, "notes.png"), "not an image at all");

        Assert.Equal(ExitCodes.Failed, await Run(subject));

        Assert.Contains("broken.jpg: not a readable image", Printed, StringComparison.Ordinal);
        Assert.Contains("notes.png: not a readable image", Printed, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(Storage, "models", "my-dog")) && Directory.EnumerateFileSystemEntries(Path.Combine(Storage, "models", "my-dog")).Any());
        foreach (var name in new[] { "00.jpg", "broken.jpg", "notes.png" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(subject, name)), File.ReadAllBytes(Path.Combine(Storage, "subjects", "my-dog", name)));
        var runId = OnlyRun();
        Assert.Equal(ExitCodes.Failed, await Rpo("status", runId.Value));
        var document = (await RunStatusDocument.ReadAsync(new LocalFolderStorage(Storage), runId))!.Value.Document;
        Assert.Equal(["broken.jpg", "notes.png"], document.Status!.Problems.Select(p => p.File));
    }

    [Fact]
    public async Task Cancel_writes_the_marker_of_a_run_that_is_not_finished_and_refuses_unknown_runs()
    {
        var store = new LocalFolderStorage(Storage);
        await store.EnsureCreatedAsync();
        var runId = RunId.Parse("rex-00000000000000aa");
        var now = DateTimeOffset.UtcNow;
        await new RunStatusDocument(runId, Microsoft.DurableTask.Client.OrchestrationRuntimeStatus.Running, null, null, null, now, now, "elsewhere/1/x").WriteAsync(store);

        Assert.Equal(ExitCodes.Ok, await Rpo("cancel", runId.Value, "--reason", "enough"));
        Assert.Equal("enough", (await CancelMarkers.ReadAsync(store, runId))!.Reason);

        Assert.Equal(ExitCodes.Failed, await Rpo("cancel", "rex-00000000000000bb"));
        Assert.Equal(ExitCodes.Failed, await Rpo("status", "rex-00000000000000bb"));
        Assert.Equal(ExitCodes.Failed, await Rpo("status", "not-a-run-id"));
        Assert.Equal(ExitCodes.Ok, await Rpo("models", "rex"));
        Assert.Contains("no published models for 'rex'", Printed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_diffusers_model_with_its_reward_encoder_is_trained_and_published()
    {
        string subject = Subject("00.jpg", "01.jpg");
        string model = TestPaths.Fixture("sd-pipeline-tiny");
        int exit = await Run(subject, "--model", model, "--reward-model", TestPaths.Fixture("reward-clip-tiny"), "--encoder", "clip",
            "--steps", "2", "--val-every", "1", "--negatives", "1", "--val-images", "1", "--sample-steps", "2");
        Assert.True(exit == ExitCodes.Ok, Printed);

        var runId = OnlyRun();
        var manifest = await new ModelPublisher(new LocalFolderStorage(Storage)).ReadManifestAsync("my-dog", StorageLayout.VersionFor(runId));
        Assert.Equal(Path.GetFullPath(model), manifest.Options.BaseModel);
        Assert.Equal(RewardEncoder.Clip, manifest.Options.Encoder);
        Assert.Equal([1, 2], manifest.Checkpoints.Select(c => c.Step));
    }

    [Fact]
    public async Task A_real_model_without_a_reward_encoder_is_refused_before_anything_is_uploaded()
    {
        string subject = Subject("00.jpg", "01.jpg");
        string model = TestPaths.Fixture("sd-pipeline-tiny");

        // The fixture pipeline has no reward/ subfolder, and ALIGN is the default encoder of a real model.
        Assert.Equal(ExitCodes.Failed, await Run(subject, "--model", model));
        Assert.Equal(ExitCodes.Failed, await Run(subject, "--model", model, "--reward-model", Path.Combine(_dir, "nowhere")));
        Assert.Equal(ExitCodes.Failed, await Run(subject, "--model", model, "--reward-model", TestPaths.Fixture("reward-clip-tiny")));
        Assert.False(Directory.Exists(Path.Combine(Storage, "subjects")), "nothing may be uploaded for a refused run");
    }

    [Theory]
    [InlineData("my dog", "my-dog")]
    [InlineData("Rex (2)", "Rex-2")]
    [InlineData("dog6", "dog6")]
    [InlineData("...", "subject")]
    public void The_subject_id_is_the_folder_name_in_the_id_alphabet(string folder, string id) =>
        Assert.Equal(id, RunCommand.SubjectIdFor(Path.Combine(Path.GetTempPath(), folder)));

    [Fact]
    public async Task Run_help_teaches_mock_mode()
    {
        var help = await CaptureStdout(() => RpoApp.RunAsync(["run", "--help"]));
        Assert.Contains("--subject", help, StringComparison.Ordinal);
        Assert.Contains("mock", help, StringComparison.Ordinal);
        Assert.Contains("samples/dog6", help, StringComparison.Ordinal);
    }

    static async Task<string> CaptureStdout(Func<Task<int>> command)
    {
        var original = Console.Out;
        using var captured = new StringWriter();
        Console.SetOut(captured);
        try
        {
            Assert.Equal(ExitCodes.Ok, await command());
        }
        finally
        {
            Console.SetOut(original);
        }

        return captured.ToString();
    }
}
