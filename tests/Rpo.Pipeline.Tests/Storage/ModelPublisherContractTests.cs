using System.Collections.Concurrent;
using System.Text;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Tests.Storage;

/// <summary>Publishing on the local folder and on Azurite: readers only ever see complete versions, and one of two racing publishes wins.</summary>
public abstract class ModelPublisherContractTests : IAsyncLifetime
{
    private const string Subject = "dog";
    private IStoreUnderTest? _under;

    private IBlobStorage Store => _under!.Store;

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

    private static RunId Run(string seed) => RunId.For(Subject, [RunInput.FromBytes("1.png", Encoding.UTF8.GetBytes(seed))], RunOptions.Default);

    private static ModelManifest Manifest(RunId run) => new(
        Subject,
        StorageLayout.VersionFor(run),
        run,
        RunOptions.Default,
        [new CheckpointReward(40, 0.61), new CheckpointReward(80, 0.64)],
        80,
        new Dictionary<string, double> { ["clipT"] = 0.31 });

    private static IReadOnlyList<PublishFile> Files(RunId run, int count = 5) =>
        [.. Enumerable.Range(0, count).Select(i => PublishFile.FromBytes($"unet/part-{i}.bin", Encoding.UTF8.GetBytes($"{run} part {i}"))),
         PublishFile.FromBytes(StorageLayout.GridName, Encoding.UTF8.GetBytes($"grid of {run}"))];

    [Fact]
    public async Task First_publish_writes_the_version_and_points_latest_at_it()
    {
        var run = Run("a");
        var publisher = new ModelPublisher(Store);

        var result = await publisher.PublishAsync(Manifest(run), Files(run));

        Assert.Equal(PublishOutcome.Published, result.Outcome);
        var latest = await publisher.ReadLatestAsync(Subject);
        Assert.NotNull(latest);
        Assert.Equal(StorageLayout.VersionFor(run), latest.Version);
        Assert.Equal(run, latest.RunId);
        Assert.Null(latest.PreviousVersion);
        Assert.Contains(StorageLayout.ManifestName, latest.Files);
        Assert.Contains("unet/part-4.bin", latest.Files);
        Assert.Equal($"{run} part 4", Encoding.UTF8.GetString((await Store.ReadAsync(StorageLayout.ModelFile(Subject, latest.Version, "unet/part-4.bin"))).Content.Span));
        var manifest = await publisher.ReadManifestAsync(Subject, latest.Version);
        Assert.Equal(80, manifest.SelectedStep);
        Assert.Equal(0.64, manifest.Checkpoints[1].Reward);
    }

    [Fact]
    public async Task Versions_are_listed_with_the_latest_first_and_nothing_else_of_the_folder()
    {
        var publisher = new ModelPublisher(Store);
        Assert.Empty(await publisher.ListVersionsAsync(Subject));
        var (a, b) = (Run("a"), Run("b"));
        await publisher.PublishAsync(Manifest(a), Files(a));
        await publisher.PublishAsync(Manifest(b), Files(b));

        var versions = await publisher.ListVersionsAsync(Subject);

        Assert.Equal([StorageLayout.VersionFor(b), StorageLayout.VersionFor(a)], versions.Select(v => v.Manifest.Version));
        Assert.Equal([true, false], versions.Select(v => v.IsLatest));
        Assert.Equal(StorageLayout.ModelVersionFolder(Subject, StorageLayout.VersionFor(b)), versions[0].Folder);
        Assert.Equal(0.64, versions[0].Reward);
    }

    [Fact]
    public async Task A_second_version_replaces_the_first_and_a_repeated_publish_changes_nothing()
    {
        var publisher = new ModelPublisher(Store);
        var (a, b) = (Run("a"), Run("b"));
        await publisher.PublishAsync(Manifest(a), Files(a));

        var second = await publisher.PublishAsync(Manifest(b), Files(b));
        var pointerTag = await Store.GetETagAsync(StorageLayout.LatestPointer(Subject));
        var again = await publisher.PublishAsync(Manifest(b), Files(b));

        Assert.Equal(PublishOutcome.Published, second.Outcome);
        Assert.Equal(StorageLayout.VersionFor(a), second.Pointer!.PreviousVersion);
        Assert.Equal(PublishOutcome.AlreadyCurrent, again.Outcome);
        Assert.Equal(pointerTag, await Store.GetETagAsync(StorageLayout.LatestPointer(Subject)));
        Assert.Equal(StorageLayout.VersionFor(b), (await publisher.ReadLatestAsync(Subject))!.Version);
    }

    [Fact]
    public async Task Checkpoint_files_are_copied_from_the_work_area()
    {
        var run = Run("a");
        var checkpoint = StorageLayout.Checkpoint(run, 80);
        await Store.WriteAsync(checkpoint.Combine("unet/config.json"), Encoding.UTF8.GetBytes("{\"sample_size\":8}"));
        await Store.WriteAsync(checkpoint.Combine("unet/diffusion_pytorch_model.safetensors"), new byte[] { 1, 2, 3 });
        var files = await PublishFile.CopyOfFolderAsync(Store, checkpoint, string.Empty);

        var result = await new ModelPublisher(Store).PublishAsync(Manifest(run), files);

        Assert.Equal(["rpo.json", "unet/config.json", "unet/diffusion_pytorch_model.safetensors"], result.Pointer!.Files);
        Assert.Equal(new byte[] { 1, 2, 3 }, (await Store.ReadAsync(StorageLayout.ModelFile(Subject, result.Version, "unet/diffusion_pytorch_model.safetensors"))).Content.ToArray());
    }

    [Fact]
    public async Task Two_concurrent_publishes_cannot_both_win()
    {
        var publisher0 = new ModelPublisher(Store);
        var before = Run("before");
        await publisher0.PublishAsync(Manifest(before), Files(before));

        // Neither publisher goes on until both have read latest.json: they really overlap.
        var bothRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var readers = 0;
        async Task Gate(BlobRef blob)
        {
            if (blob == StorageLayout.LatestPointer(Subject) && Interlocked.Increment(ref readers) <= 2)
            {
                if (readers == 2)
                {
                    bothRead.SetResult();
                }

                await bothRead.Task.WaitAsync(TimeSpan.FromMinutes(1));
            }
        }

        var (a, b) = (Run("a"), Run("b"));
        var publisherA = new ModelPublisher(new InterceptingStorage(_under!.OpenAnother()) { AfterRead = Gate });
        var publisherB = new ModelPublisher(new InterceptingStorage(_under!.OpenAnother()) { AfterRead = Gate });

        var results = await Task.WhenAll(
            Task.Run(() => publisherA.PublishAsync(Manifest(a), Files(a))),
            Task.Run(() => publisherB.PublishAsync(Manifest(b), Files(b))));

        var winner = Assert.Single(results, r => r.Outcome == PublishOutcome.Published);
        var loser = Assert.Single(results, r => r.Outcome == PublishOutcome.Conflict);
        var latest = await publisher0.ReadLatestAsync(Subject);
        Assert.Equal(winner.Version, latest!.Version);
        Assert.Equal(StorageLayout.VersionFor(before), latest.PreviousVersion);
        Assert.Equal(winner.Version, loser.Pointer!.Version);

        // The loser's version is complete but nothing points at it.
        Assert.True(await Store.ExistsAsync(StorageLayout.ModelManifest(Subject, loser.Version)));
        Assert.True(await Store.ExistsAsync(StorageLayout.ModelFile(Subject, loser.Version, "unet/part-4.bin")));
    }

    [Fact]
    public async Task Racing_publishers_leave_one_chain_of_versions()
    {
        var runs = Enumerable.Range(0, 6).Select(i => Run($"race {i}")).ToList();
        var results = await Task.WhenAll(runs.Select(run => Task.Run(() =>
            new ModelPublisher(_under!.OpenAnother()).PublishAsync(Manifest(run), Files(run, count: 2)))));

        var winners = results.Where(r => r.Outcome == PublishOutcome.Published).ToDictionary(r => r.Version, r => r.Pointer!.PreviousVersion);
        Assert.NotEmpty(winners);
        Assert.All(results, r => Assert.NotEqual(PublishOutcome.AlreadyCurrent, r.Outcome));

        // Every winner replaced exactly the version it read: walking back from latest visits each winner once.
        var latest = await new ModelPublisher(Store).ReadLatestAsync(Subject);
        var visited = new List<string>();
        for (var version = latest!.Version; version is not null; version = winners[version])
        {
            visited.Add(version);
        }

        Assert.Equal(winners.Keys.Order(), visited.Order());
    }

    [Fact]
    public async Task The_pointer_moves_only_after_every_file_of_the_version_exists()
    {
        var observed = new ConcurrentBag<(string Version, string Missing)>();
        var pointerWrites = 0;
        var inner = _under!.OpenAnother();
        var watched = new InterceptingStorage(inner)
        {
            BeforeWrite = async (blob, condition) =>
            {
                if (blob != StorageLayout.LatestPointer(Subject))
                {
                    return;
                }

                Interlocked.Increment(ref pointerWrites);
                Assert.False(condition.IsNone);
                foreach (var version in await Store.ListAsync(StorageLayout.ModelsFolder(Subject)).Select(i => i.Blob.Path.Split('/')[1]).Distinct().ToListAsync())
                {
                    if (version == StorageLayout.LatestPointerName)
                    {
                        continue;
                    }

                    // Every version folder on the store at this moment is complete.
                    foreach (var name in new[] { "unet/part-0.bin", "unet/part-1.bin", "unet/part-2.bin", StorageLayout.GridName, StorageLayout.ManifestName })
                    {
                        if (!await inner.ExistsAsync(StorageLayout.ModelFile(Subject, version, name)))
                        {
                            observed.Add((version, name));
                        }
                    }
                }
            },
        };

        // A reader polls latest.json throughout and checks every file it names.
        using var stop = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            var publisher = new ModelPublisher(_under!.OpenAnother());
            var seen = 0;
            while (!stop.IsCancellationRequested)
            {
                if (await publisher.ReadLatestAsync(Subject) is { } pointer)
                {
                    seen++;
                    foreach (var file in pointer.Files)
                    {
                        if (!await Store.ExistsAsync(StorageLayout.ModelFile(Subject, pointer.Version, file)))
                        {
                            observed.Add((pointer.Version, file));
                        }
                    }
                }

                await Task.Yield();
            }

            return seen;
        });

        var publisherUnderWatch = new ModelPublisher(watched);
        foreach (var run in new[] { Run("a"), Run("b"), Run("c") })
        {
            Assert.Equal(PublishOutcome.Published, (await publisherUnderWatch.PublishAsync(Manifest(run), Files(run, count: 3))).Outcome);
        }

        await stop.CancelAsync();
        await reader;
        Assert.Equal(3, pointerWrites);
        Assert.Empty(observed);
    }

    [Fact]
    public async Task A_publish_that_fails_midway_leaves_the_pointer_where_it_was()
    {
        var first = Run("a");
        await new ModelPublisher(Store).PublishAsync(Manifest(first), Files(first));
        var second = Run("b");
        var failing = new InterceptingStorage(Store)
        {
            BeforeWrite = (blob, _) => blob.Path.EndsWith("part-3.bin", StringComparison.Ordinal) && blob.Path.Contains(second.Hash, StringComparison.Ordinal)
                ? throw new IOException("connection lost")
                : Task.CompletedTask,
        };

        await Assert.ThrowsAsync<IOException>(() => new ModelPublisher(failing).PublishAsync(Manifest(second), Files(second)));

        Assert.Equal(StorageLayout.VersionFor(first), (await new ModelPublisher(Store).ReadLatestAsync(Subject))!.Version);
        Assert.False(await Store.ExistsAsync(StorageLayout.ModelManifest(Subject, StorageLayout.VersionFor(second))));
    }
}

public sealed class LocalFolderModelPublisherTests : ModelPublisherContractTests
{
    protected override Task<IStoreUnderTest> CreateAsync() => Task.FromResult<IStoreUnderTest>(new LocalStoreUnderTest());
}

public sealed class AzuriteModelPublisherTests : ModelPublisherContractTests
{
    protected override async Task<IStoreUnderTest> CreateAsync() => new AzuriteStoreUnderTest(await Azurite.CreateStoreAsync());
}
