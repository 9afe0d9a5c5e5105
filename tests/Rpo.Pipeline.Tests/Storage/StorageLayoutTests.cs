using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Tests.Storage;

public sealed class StorageLayoutTests
{
    private static readonly RunId Run = RunId.Parse("dog-0123456789abcdef");

    [Fact]
    public void Paths_follow_the_documented_layout()
    {
        Assert.Equal("subjects/dog/", StorageLayout.SubjectFolder("dog").ToString());
        Assert.Equal("subjects/dog/subject.json", StorageLayout.SubjectJson("dog").ToString());
        Assert.Equal("subjects/dog/02.jpg", StorageLayout.SubjectFile("dog", "02.jpg").ToString());
        Assert.Equal("work/dog-0123456789abcdef/", StorageLayout.WorkFolder(Run).ToString());
        Assert.Equal("work/dog-0123456789abcdef/negatives/03/015.png", StorageLayout.Negative(Run, 3, 15).ToString());
        Assert.Equal("work/dog-0123456789abcdef/checkpoints/step-00040/", StorageLayout.Checkpoint(Run, 40).ToString());
        Assert.Equal("work/dog-0123456789abcdef/scores/step-00040.json", StorageLayout.CheckpointScore(Run, 40).ToString());
        Assert.Equal("models/dog/latest.json", StorageLayout.LatestPointer("dog").ToString());
        Assert.Equal("models/dog/0123456789abcdef/rpo.json", StorageLayout.ModelManifest("dog", StorageLayout.VersionFor(Run)).ToString());
        Assert.Equal("models/dog/0123456789abcdef/grid.png", StorageLayout.ModelGrid("dog", "0123456789abcdef").ToString());
    }

    [Theory]
    [InlineData("../etc")]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData("-dog")]
    [InlineData("dog.v2")]
    public void Subject_ids_that_could_leave_their_folder_are_refused(string subjectId)
    {
        Assert.Throws<ArgumentException>(() => StorageLayout.SubjectFolder(subjectId));
    }

    [Fact]
    public void The_subject_of_an_upload_is_its_first_folder()
    {
        Assert.Equal("dog", StorageLayout.SubjectIdOf(new BlobRef(StorageArea.Subjects, "dog/1.png")));
        Assert.Null(StorageLayout.SubjectIdOf(new BlobRef(StorageArea.Subjects, "loose.png")));
        Assert.Null(StorageLayout.SubjectIdOf(new BlobRef(StorageArea.Work, "dog/1.png")));
    }

    [Theory]
    [InlineData("/abs")]
    [InlineData("a//b")]
    [InlineData("a/../b")]
    [InlineData("a/./b")]
    [InlineData("a\\b")]
    [InlineData("a/.rpo-tmp-1")]
    [InlineData("")]
    public void Blob_references_refuse_paths_that_are_not_portable(string path)
    {
        Assert.Throws<ArgumentException>(() => new BlobRef(StorageArea.Work, path));
    }

    [Fact]
    public void Blob_references_print_and_parse_as_area_slash_path()
    {
        var blob = BlobRef.Parse("models/dog/v1/unet/config.json");

        Assert.Equal(StorageArea.Models, blob.Area);
        Assert.Equal("dog/v1/unet/config.json", blob.Path);
        Assert.Equal("config.json", blob.Name);
        Assert.Equal("unet/config.json", blob.RelativeTo(BlobRef.Parse("models/dog/v1/")));
        Assert.Throws<FormatException>(() => BlobRef.Parse("elsewhere/x"));
        Assert.Throws<FormatException>(() => BlobRef.Parse("work/../x"));
        Assert.Throws<InvalidOperationException>(() => blob.Combine("x"));
    }
}
