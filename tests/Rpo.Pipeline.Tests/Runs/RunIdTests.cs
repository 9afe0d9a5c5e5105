using System.Text;
using System.Text.Json.Nodes;
using Rpo.Pipeline.Runs;

namespace Rpo.Pipeline.Tests.Runs;

public sealed class RunIdTests
{
    private static readonly RunInput[] Upload =
    [
        RunInput.FromBytes("1.jpg", Encoding.UTF8.GetBytes("first image")),
        RunInput.FromBytes("2.jpg", Encoding.UTF8.GetBytes("second image")),
        RunInput.FromBytes("subject.json", Encoding.UTF8.GetBytes("{\"class\":\"dog\"}")),
    ];

    [Fact]
    public void The_same_upload_gives_one_id_whatever_the_order()
    {
        var id = RunId.For("dog", Upload, RunOptions.Default);
        var again = RunId.For("dog", Upload.Reverse(), new RunOptions());

        Assert.Equal(id, again);
        Assert.Matches("^dog-[0-9a-f]{16}$", id.Value);
        Assert.Equal(id, RunId.Parse(id.Value));
    }

    [Fact]
    public void The_id_is_pinned_so_it_is_the_same_on_every_machine()
    {
        // SHA-256 of {"inputs":[{"name","sha256"} sorted],"options":{sorted keys},"scheme":1,"subjectId":"dog"}, checked
        // by hand outside .NET. A change here changes every run id (a re-upload then starts a new run): only on purpose.
        Assert.Equal("dog-96673bac6f95f9b3", RunId.For("dog", Upload, RunOptions.Default).Value);
    }

    [Fact]
    public void Any_changed_input_or_option_gives_a_new_id()
    {
        var id = RunId.For("dog", Upload, RunOptions.Default);
        RunInput[] changedByte = [Upload[0], RunInput.FromBytes("2.jpg", Encoding.UTF8.GetBytes("second imagE")), Upload[2]];
        RunInput[] renamed = [Upload[0], new RunInput("3.jpg", Upload[1].Sha256), Upload[2]];
        RunInput[] added = [.. Upload, RunInput.FromBytes("4.jpg", [1])];

        var others = new[]
        {
            RunId.For("dog", changedByte, RunOptions.Default),
            RunId.For("dog", renamed, RunOptions.Default),
            RunId.For("dog", added, RunOptions.Default),
            RunId.For("dog", Upload[..2], RunOptions.Default),
            RunId.For("dog2", Upload, RunOptions.Default),
            RunId.For("dog", Upload, RunOptions.Default with { LambdaVal = 0.5 }),
            RunId.For("dog", Upload, RunOptions.Default with { LoraRank = 4 }),
            RunId.For("dog", Upload, RunOptions.Default with { Encoder = RewardEncoder.Clip }),
            RunId.For("dog", Upload, RunOptions.Default with { PaperCompat = true }),
        };

        Assert.DoesNotContain(id, others);
        Assert.Equal(others.Length, others.Distinct().Count());
    }

    [Fact]
    public void Inputs_are_checked()
    {
        Assert.Throws<ArgumentException>(() => RunId.For("dog", [Upload[0], Upload[0]], RunOptions.Default));
        Assert.Throws<ArgumentException>(() => RunId.For("../dog", Upload, RunOptions.Default));
        Assert.Throws<ArgumentException>(() => new RunInput("1.jpg", "not-a-sha"));
        Assert.Throws<FormatException>(() => RunId.Parse("dog-0123"));
        Assert.Equal(Upload[0], new RunInput("1.jpg", Upload[0].Sha256.ToUpperInvariant()));
    }

    [Fact]
    public void Canonical_json_sorts_keys_and_has_no_whitespace()
    {
        var node = JsonNode.Parse("""{ "b": 1, "a": { "z": [1, 2.5, "x"], "y": null }, "A": true }""");

        Assert.Equal("""{"A":true,"a":{"y":null,"z":[1,2.5,"x"]},"b":1}""", CanonicalJson.SerializeToString(node));
    }
}

public sealed class RunInputsTests
{
    [Fact]
    public async Task The_inputs_of_an_upload_are_its_files_hashed_from_storage()
    {
        var root = Path.Combine(Path.GetTempPath(), "rpo-run-inputs", Guid.NewGuid().ToString("N"));
        try
        {
            var storage = new Rpo.Pipeline.Storage.LocalFolderStorage(root);
            await storage.WriteAsync(Rpo.Pipeline.Storage.StorageLayout.SubjectFile("dog", "1.jpg"), Encoding.UTF8.GetBytes("first image"));
            await storage.WriteAsync(Rpo.Pipeline.Storage.StorageLayout.SubjectFile("dog", "subject.json"), Encoding.UTF8.GetBytes("{\"class\":\"dog\"}"));
            await storage.WriteAsync(Rpo.Pipeline.Storage.StorageLayout.SubjectFile("dog2", "1.jpg"), Encoding.UTF8.GetBytes("another subject"));

            var inputs = await RunInputs.ReadAsync(storage, "dog");

            Assert.Equal(
                [RunInput.FromBytes("1.jpg", Encoding.UTF8.GetBytes("first image")), RunInput.FromBytes("subject.json", Encoding.UTF8.GetBytes("{\"class\":\"dog\"}"))],
                inputs);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
