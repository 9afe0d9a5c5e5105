using System.Text;
using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Tests.Storage;

/// <summary>The behaviour every storage must have, run on the local folder and on Azurite.</summary>
public abstract class BlobStorageContractTests : IAsyncLifetime
{
    private IStoreUnderTest? _under;

    protected IBlobStorage Store => _under!.Store;

    protected IStoreUnderTest Under => _under!;

    public async Task InitializeAsync()
    {
        _under = await CreateAsync();
        await _under.Store.EnsureCreatedAsync();
    }

    public async Task DisposeAsync()
    {
        if (_under is not null)
        {
            await _under.DisposeAsync();
        }
    }

    protected abstract Task<IStoreUnderTest> CreateAsync();

    private static BlobRef Work(string path) => new(StorageArea.Work, path);

    private static byte[] Text(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public async Task Written_bytes_read_back_with_the_version_the_write_returned()
    {
        var blob = Work("run-1/scores/step-00040.json");
        var etag = await Store.WriteAsync(blob, Text("{\"reward\":0.5}"));

        var data = await Store.ReadAsync(blob);

        Assert.Equal("{\"reward\":0.5}", Encoding.UTF8.GetString(data.Content.Span));
        Assert.Equal(etag, data.ETag);
        Assert.Equal(etag, await Store.GetETagAsync(blob));
        Assert.True(await Store.ExistsAsync(blob));
    }

    [Fact]
    public async Task Streams_of_several_megabytes_round_trip()
    {
        var content = new byte[(3 << 20) + 12345];
        new Random(7).NextBytes(content);
        var blob = Work("run-1/checkpoints/step-00040/unet/diffusion_pytorch_model.safetensors");

        var etag = await Store.WriteAsync(blob, new MemoryStream(content));
        await using var read = await Store.OpenReadAsync(blob);
        using var copy = new MemoryStream();
        await read.CopyToAsync(copy);

        Assert.Equal(content, copy.ToArray());
        Assert.Equal(etag, await Store.GetETagAsync(blob));
    }

    [Fact]
    public async Task A_missing_blob_is_reported_by_every_operation()
    {
        var blob = Work("run-1/nothing.json");

        Assert.False(await Store.ExistsAsync(blob));
        Assert.Null(await Store.GetETagAsync(blob));
        Assert.Null(await Store.TryReadAsync(blob));
        var read = await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.ReadAsync(blob));
        Assert.Equal(blob, read.Blob);
        await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.OpenReadAsync(blob));
        Assert.False(await Store.DeleteAsync(blob));
    }

    [Fact]
    public async Task Overwriting_changes_the_version()
    {
        var blob = Work("run-1/state.json");
        var first = await Store.WriteAsync(blob, Text("1"));
        var second = await Store.WriteAsync(blob, Text("2"));

        Assert.NotEqual(first, second);
        Assert.Equal(second, (await Store.ReadAsync(blob)).ETag);
    }

    [Fact]
    public async Task If_none_match_creates_once_and_then_refuses()
    {
        var blob = Work("run-1/lease.json");
        await Store.WriteAsync(blob, Text("first"), WriteCondition.IfNotExists);

        var refused = await Assert.ThrowsAsync<BlobConditionFailedException>(() => Store.WriteAsync(blob, Text("second"), WriteCondition.IfNotExists));

        Assert.Equal(blob, refused.Blob);
        Assert.Equal("first", Encoding.UTF8.GetString((await Store.ReadAsync(blob)).Content.Span));
    }

    [Fact]
    public async Task If_match_writes_on_the_version_read_and_refuses_a_stale_or_missing_one()
    {
        var blob = Work("run-1/pointer.json");
        var v1 = await Store.WriteAsync(blob, Text("v1"));
        var v2 = await Store.WriteAsync(blob, Text("v2"), WriteCondition.IfMatchETag(v1));

        await Assert.ThrowsAsync<BlobConditionFailedException>(() => Store.WriteAsync(blob, Text("stale"), WriteCondition.IfMatchETag(v1)));
        await Assert.ThrowsAsync<BlobConditionFailedException>(() => Store.WriteAsync(Work("run-1/absent.json"), Text("x"), WriteCondition.IfMatchETag(v2)));
        await Assert.ThrowsAsync<BlobConditionFailedException>(() => Store.WriteAsync(blob, new MemoryStream(Text("stale")), WriteCondition.IfMatchETag(v1)));

        var data = await Store.ReadAsync(blob);
        Assert.Equal("v2", Encoding.UTF8.GetString(data.Content.Span));
        Assert.Equal(v2, data.ETag);
        Assert.False(await Store.ExistsAsync(Work("run-1/absent.json")));
    }

    [Fact]
    public async Task Of_concurrent_writers_on_one_version_exactly_one_wins()
    {
        // Megabytes, so that checking the version takes long enough for the writers to overlap there.
        static byte[] Content(int seed)
        {
            var bytes = new byte[2 << 20];
            new Random(seed).NextBytes(bytes);
            return bytes;
        }

        var blob = Work("run-1/pointer.json");
        var start = await Store.WriteAsync(blob, Content(1000));
        var clients = Enumerable.Range(0, 8).Select(_ => Under.OpenAnother()).ToList();

        var outcomes = await Task.WhenAll(clients.Select(async (client, i) =>
        {
            await Task.Yield();
            try
            {
                await client.WriteAsync(blob, Content(i), WriteCondition.IfMatchETag(start));
                return i;
            }
            catch (BlobConditionFailedException)
            {
                return -1;
            }
        }));

        var winner = Assert.Single(outcomes, o => o >= 0);
        Assert.Equal(Content(winner), (await Store.ReadAsync(blob)).Content.ToArray());
    }

    [Fact]
    public async Task Of_concurrent_creators_exactly_one_wins()
    {
        var blob = Work("run-1/created.json");
        var clients = Enumerable.Range(0, 8).Select(_ => Under.OpenAnother()).ToList();

        var outcomes = await Task.WhenAll(clients.Select(async (client, i) =>
        {
            await Task.Yield();
            try
            {
                await client.WriteAsync(blob, Text($"creator {i}"), WriteCondition.IfNotExists);
                return true;
            }
            catch (BlobConditionFailedException)
            {
                return false;
            }
        }));

        Assert.Single(outcomes, o => o);
    }

    [Fact]
    public async Task Listing_matches_the_prefix_in_name_order_within_one_area()
    {
        foreach (var path in new[] { "r/b/2.png", "r/a/1.png", "r/ab/3.png", "s/4.png", "r/a/0.png" })
        {
            await Store.WriteAsync(Work(path), Text(path));
        }

        await Store.WriteAsync(new BlobRef(StorageArea.Models, "r/a/9.png"), Text("other area"));

        async Task<string[]> List(string prefix) => await Store.ListAsync(StorageArea.Work, prefix).Select(i => i.Blob.Path).ToArrayAsync();

        Assert.Equal(["r/a/0.png", "r/a/1.png"], await List("r/a/"));
        Assert.Equal(["r/a/0.png", "r/a/1.png", "r/ab/3.png"], await List("r/a"));
        Assert.Equal(["r/a/0.png", "r/a/1.png", "r/ab/3.png", "r/b/2.png", "s/4.png"], await List(""));
        Assert.Empty(await List("q/"));
        var item = await Store.ListAsync(new BlobRef(StorageArea.Work, "s/")).SingleAsync();
        Assert.Equal(7, item.Size);
        Assert.Equal(StorageArea.Work, item.Blob.Area);
    }

    [Fact]
    public async Task Delete_removes_the_blob_once()
    {
        var blob = Work("run-1/tmp.bin");
        await Store.WriteAsync(blob, new byte[] { 1, 2, 3 });

        Assert.True(await Store.DeleteAsync(blob));
        Assert.False(await Store.DeleteAsync(blob));
        Assert.False(await Store.ExistsAsync(blob));
        Assert.Empty(await Store.ListAsync(StorageArea.Work, "run-1/").ToArrayAsync());
    }

    [Fact]
    public async Task Folder_references_are_refused_where_a_blob_is_needed()
    {
        var folder = Work("run-1/");

        await Assert.ThrowsAsync<ArgumentException>(() => Store.WriteAsync(folder, Text("x")));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.ReadAsync(folder));
    }
}

public sealed class LocalFolderStorageContractTests : BlobStorageContractTests
{
    protected override Task<IStoreUnderTest> CreateAsync() => Task.FromResult<IStoreUnderTest>(new LocalStoreUnderTest());

    [Fact]
    public async Task Blobs_are_plain_files_in_one_folder_per_area_and_no_temporary_file_stays()
    {
        var store = (LocalFolderStorage)Store;
        var blob = new BlobRef(StorageArea.Models, "dog/abc/rpo.json");
        await store.WriteAsync(blob, Encoding.UTF8.GetBytes("{}"));
        await Assert.ThrowsAsync<BlobConditionFailedException>(() => store.WriteAsync(blob, Encoding.UTF8.GetBytes("[]"), WriteCondition.IfNotExists));

        Assert.Equal(Path.Combine(store.Root, "models", "dog", "abc", "rpo.json"), store.FilePath(blob));
        Assert.Equal("{}", await File.ReadAllTextAsync(store.FilePath(blob)));
        Assert.Equal(["rpo.json"], Directory.GetFiles(Path.GetDirectoryName(store.FilePath(blob))!).Select(Path.GetFileName));
        Assert.True(Directory.Exists(Path.Combine(store.Root, "subjects")));
        Assert.True(Directory.Exists(Path.Combine(store.Root, "work")));
    }
}

public sealed class AzuriteBlobStorageContractTests : BlobStorageContractTests
{
    protected override async Task<IStoreUnderTest> CreateAsync() => new AzuriteStoreUnderTest(await Azurite.CreateStoreAsync());

    [Fact]
    public async Task One_container_per_area_and_a_missing_container_is_a_clear_error()
    {
        var store = (BlobContainerStorage)Store;
        await store.WriteAsync(new BlobRef(StorageArea.Subjects, "dog/1.png"), new byte[] { 1 });
        Assert.True(await store.Container(StorageArea.Subjects).GetBlobClient("dog/1.png").ExistsAsync());
        Assert.EndsWith("-subjects", store.Containers.Subjects, StringComparison.Ordinal);

        var bare = new BlobContainerStorage(Azurite.ServiceClient(), Azurite.UniqueContainers());
        var error = await Assert.ThrowsAsync<StorageException>(() => bare.WriteAsync(new BlobRef(StorageArea.Work, "r/x"), new byte[] { 1 }));
        Assert.Contains(bare.Containers.Work, error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }
}
