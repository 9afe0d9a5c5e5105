using Rpo.Pipeline.Local;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;
using Rpo.Pipeline.Subjects;
using Rpo.Pipeline.Tests.Subjects;
using static Rpo.Pipeline.Tests.Subjects.SubjectUploads;

namespace Rpo.Pipeline.Tests.Local;

/// <summary>A photo folder put into subjects/{id}/ as rpo run does it, and the run it names.</summary>
public sealed class SubjectUploadTests : IAsyncDisposable
{
    private readonly TempLocalStore _temp = new();
    private readonly string _folder = Directory.CreateTempSubdirectory("rpo-upload-").FullName;

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_folder, recursive: true);
        return _temp.DisposeAsync();
    }

    private async Task<List<string>> UploadedAsync()
    {
        var names = new List<string>();
        await foreach (var item in _temp.Store.ListAsync(StorageLayout.SubjectFolder("rex")))
        {
            names.Add(item.Blob.RelativeTo(StorageLayout.SubjectFolder("rex")));
        }

        return names;
    }

    [Fact]
    public async Task Uploads_photos_and_subject_json_only_rewrites_nothing_unchanged_and_drops_photos_the_folder_lost()
    {
        File.WriteAllBytes(Path.Combine(_folder, "a.png"), Png(256, 256, 1));
        File.WriteAllBytes(Path.Combine(_folder, "b.png"), Png(256, 256, 2));
        File.WriteAllText(Path.Combine(_folder, "README.md"), "credits");
        File.WriteAllText(Path.Combine(_folder, ".DS_Store"), "finder");
        var manifest = new SubjectManifest("dog", RunOptions.Default with { Steps = 20, ValEvery = 10 });

        var first = await SubjectUpload.UploadAsync(_temp.Store, "rex", _folder, manifest);

        Assert.Equal(["a.png", "b.png"], first.Photos);
        Assert.Equal(["a.png", "b.png", "subject.json"], first.Written);
        Assert.Equal(["README.md"], first.Skipped);
        Assert.Equal(["a.png", "b.png", "subject.json"], await UploadedAsync());
        var validated = await new SubjectValidator(_temp.Store).ValidateAsync("rex");
        Assert.True(validated.IsValid, validated.Describe());
        Assert.Equal(20, validated.Options.Steps);
        var runId = await RunIdAsync(manifest);

        // The same folder again: nothing written, the same run.
        var again = await SubjectUpload.UploadAsync(_temp.Store, "rex", _folder, manifest);
        Assert.Empty(again.Written);
        Assert.Equal(runId, await RunIdAsync(manifest));

        // A photo removed locally is removed from the upload: the run sees the folder as it is, and is a new run.
        File.Delete(Path.Combine(_folder, "b.png"));
        File.WriteAllBytes(Path.Combine(_folder, "c.png"), Png(256, 256, 3));
        var changed = await SubjectUpload.UploadAsync(_temp.Store, "rex", _folder, manifest);
        Assert.Equal(["b.png"], changed.Removed);
        Assert.Equal(["c.png"], changed.Written);
        Assert.Equal(["a.png", "c.png", "subject.json"], await UploadedAsync());
        Assert.NotEqual(runId, await RunIdAsync(manifest));
    }

    [Fact]
    public void Prompt_templates_follow_the_class_live_or_object()
    {
        var live = RunStarter.PromptTemplates("dog");
        var objects = RunStarter.PromptTemplates("backpack");
        Assert.Equal(8, live.Count);
        Assert.Equal(8, objects.Count);
        Assert.Contains("a {0} {1} wearing a green outfit", live);
        Assert.DoesNotContain("a {0} {1} wearing a green outfit", objects);
        Assert.Equal(objects, RunStarter.PromptTemplates(null));
        Assert.All(live.Concat(objects), t => Assert.True(t.Contains("{0} {1}", StringComparison.Ordinal), t));
    }

    private async Task<RunId> RunIdAsync(SubjectManifest manifest) => RunId.For("rex", await RunInputs.ReadAsync(_temp.Store, "rex"), manifest.Options!);
}
