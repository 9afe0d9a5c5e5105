using System.Text.RegularExpressions;
using Azure.Identity;
using Azure.Storage.Blobs;

namespace Rpo.Pipeline.Storage;

/// <summary>
/// Opens the storage a user names (the CLI's <c>--storage</c>): an account URL (https://acct.blob.core.windows.net,
/// signed in with DefaultAzureCredential, as the Azure deployment does with its managed identity), an Azure Storage
/// connection string ("UseDevelopmentStorage=true", Azurite's or an account's full string), or else a local folder.
/// </summary>
public static partial class StorageFactory
{
    public static IBlobStorage Open(string target, StorageContainerNames? containers = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(target);
        var trimmed = target.Trim();
        if (IsConnectionString(trimmed))
        {
            BlobServiceClient service;
            try
            {
                service = new BlobServiceClient(trimmed);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
            {
                // The message must not repeat the string: it may hold an account key.
                throw new ArgumentException($"The storage connection string is not valid: {e.Message}", nameof(target), e);
            }

            return new BlobContainerStorage(service, containers);
        }

        if (Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp))
        {
            return new BlobContainerStorage(new BlobServiceClient(uri, new DefaultAzureCredential()), containers);
        }

        if (uri is { IsFile: true })
        {
            return new LocalFolderStorage(uri.LocalPath);
        }

        return new LocalFolderStorage(trimmed);
    }

    /// <summary>A connection string is key=value pairs and starts with one of the keys Azure Storage defines.</summary>
    public static bool IsConnectionString(string target) => ConnectionStringStart().IsMatch(target);

    [GeneratedRegex(@"^\s*(UseDevelopmentStorage|DefaultEndpointsProtocol|AccountName|AccountKey|BlobEndpoint|SharedAccessSignature|EndpointSuffix|DevelopmentStorageProxyUri)\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex ConnectionStringStart();
}
