using Azure.Core;
using Azure.Storage.Blobs;
using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Tests.Storage;

/// <summary>
/// The Azurite the suite runs against: ./run-tests.sh starts one and sets RPO_AZURITE_BLOB; the default is its standard
/// address. Each test gets containers of its own (a random prefix) and deletes them. An unreachable Azurite fails the
/// test with the address, never skips it.
/// </summary>
internal static class Azurite
{
    /// <summary>The well-known development account key Azurite accepts (public, in every Azure Storage doc).</summary>
    private const string DevelopmentAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public static string BlobEndpoint =>
        Environment.GetEnvironmentVariable("RPO_AZURITE_BLOB") is { Length: > 0 } endpoint
            ? endpoint.TrimEnd('/')
            : "http://127.0.0.1:10000/devstoreaccount1";

    /// <summary>Azurite's queue service (run-tests.sh starts it beside the blob service); RPO_AZURITE_QUEUE overrides.</summary>
    public static string QueueEndpoint =>
        Environment.GetEnvironmentVariable("RPO_AZURITE_QUEUE") is { Length: > 0 } endpoint
            ? endpoint.TrimEnd('/')
            : "http://127.0.0.1:10001/devstoreaccount1";

    public static string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DevelopmentAccountKey};BlobEndpoint={BlobEndpoint};QueueEndpoint={QueueEndpoint};";

    public static StorageContainerNames UniqueContainers() => StorageContainerNames.WithPrefix("t" + Guid.NewGuid().ToString("N")[..16]);

    public static BlobServiceClient ServiceClient()
    {
        var options = new BlobClientOptions();
        options.Retry.MaxRetries = 2;
        options.Retry.Mode = RetryMode.Fixed;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(30);
        return new BlobServiceClient(ConnectionString, options);
    }

    /// <summary>A fresh store on Azurite with its containers created.</summary>
    public static async Task<BlobContainerStorage> CreateStoreAsync(StorageContainerNames? containers = null)
    {
        var store = new BlobContainerStorage(ServiceClient(), containers ?? UniqueContainers());
        try
        {
            await store.EnsureCreatedAsync();
        }
        catch (StorageException e)
        {
            throw new InvalidOperationException(
                $"Azurite does not answer at {BlobEndpoint}: run the tests with ./run-tests.sh (which starts it) or set RPO_AZURITE_BLOB to a running one. ({e.InnerException?.Message ?? e.Message})",
                e);
        }

        return store;
    }
}
