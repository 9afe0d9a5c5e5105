using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Tests.Storage;

/// <summary>One kind of store the contract tests run on; disposing removes everything it created.</summary>
public interface IStoreUnderTest : IAsyncDisposable
{
    IBlobStorage Store { get; }

    /// <summary>A second client of the same store, as another process would have.</summary>
    IBlobStorage OpenAnother();
}

internal sealed class LocalStoreUnderTest : IStoreUnderTest
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "rpo-storage-tests", Guid.NewGuid().ToString("N"));

    public LocalStoreUnderTest()
    {
        Store = new LocalFolderStorage(_root);
    }

    public IBlobStorage Store { get; }

    public IBlobStorage OpenAnother() => new LocalFolderStorage(_root);

    public ValueTask DisposeAsync()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }

        return ValueTask.CompletedTask;
    }
}

internal sealed class AzuriteStoreUnderTest(BlobContainerStorage store) : IStoreUnderTest
{
    public IBlobStorage Store => store;

    public IBlobStorage OpenAnother() => new BlobContainerStorage(Azurite.ServiceClient(), store.Containers);

    public async ValueTask DisposeAsync() => await store.DeleteContainersAsync();
}
