using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Rpo.Pipeline.Storage;

/// <summary>
/// The storage in Azure Blob Storage (or Azurite): one container per area. Uploads are committed in one step by the
/// service (a single Put Blob, or Put Block List for large ones), so readers never see part of a write; conditions are
/// sent as If-Match / If-None-Match headers and checked by the service.
/// </summary>
public sealed class BlobContainerStorage : IBlobStorage
{
    private readonly BlobServiceClient _service;

    public BlobContainerStorage(BlobServiceClient service, StorageContainerNames? containers = null)
    {
        _service = service ?? throw new ArgumentNullException(nameof(service));
        Containers = containers ?? StorageContainerNames.Default;
    }

    public StorageContainerNames Containers { get; }

    /// <summary>The account's blob endpoint without any query (a SAS stays out of messages).</summary>
    public string Location => _service.Uri.GetLeftPart(UriPartial.Path).TrimEnd('/');

    public BlobServiceClient Service => _service;

    public BlobContainerClient Container(StorageArea area) => _service.GetBlobContainerClient(Containers.For(area));

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken = default)
    {
        foreach (var area in StorageAreas.All)
        {
            await Call(() => Container(area).CreateIfNotExistsAsync(cancellationToken: cancellationToken), null).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes the three containers with everything in them (tests, teardown of a temporary store).</summary>
    public async Task DeleteContainersAsync(CancellationToken cancellationToken = default)
    {
        foreach (var area in StorageAreas.All)
        {
            await Call(() => Container(area).DeleteIfExistsAsync(cancellationToken: cancellationToken), null).ConfigureAwait(false);
        }
    }

    public async IAsyncEnumerable<BlobItemInfo> ListAsync(StorageArea area, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        BlobPaths.ValidatePrefix(prefix, nameof(prefix));
        var pages = Container(area).GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix.Length == 0 ? null : prefix, cancellationToken);
        await using var items = pages.GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            BlobItem item;
            try
            {
                if (!await items.MoveNextAsync().ConfigureAwait(false))
                {
                    yield break;
                }

                item = items.Current;
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                throw MissingContainer(area, e);
            }
            catch (RequestFailedException e)
            {
                throw Translate(e, null, null);
            }
            catch (AggregateException e) when (IsUnreachable(e))
            {
                throw Unreachable(e);
            }

            if (BlobPaths.Problem(item.Name, allowFolder: false) is not null)
            {
                continue; // written by something else, with a name no BlobRef can hold
            }

            yield return new BlobItemInfo(
                new BlobRef(area, item.Name),
                item.Properties.ContentLength ?? 0,
                item.Properties.LastModified ?? DateTimeOffset.MinValue);
        }
    }

    public async Task<bool> ExistsAsync(BlobRef blob, CancellationToken cancellationToken = default) =>
        (await Call(() => Client(blob).ExistsAsync(cancellationToken), blob).ConfigureAwait(false)).Value;

    public async Task<BlobETag?> GetETagAsync(BlobRef blob, CancellationToken cancellationToken = default)
    {
        try
        {
            var properties = await Client(blob).GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return new BlobETag(properties.Value.ETag.ToString());
        }
        catch (RequestFailedException e) when (e.Status == 404 && e.ErrorCode != BlobErrorCode.ContainerNotFound)
        {
            return null;
        }
        catch (RequestFailedException e)
        {
            throw Translate(e, blob, null);
        }
        catch (AggregateException e) when (IsUnreachable(e))
        {
            throw Unreachable(e);
        }
    }

    public async Task<Stream> OpenReadAsync(BlobRef blob, CancellationToken cancellationToken = default)
    {
        var download = await Call(() => Client(blob).DownloadStreamingAsync(cancellationToken: cancellationToken), blob).ConfigureAwait(false);
        return download.Value.Content;
    }

    public async Task<BlobData> ReadAsync(BlobRef blob, CancellationToken cancellationToken = default)
    {
        var download = await Call(() => Client(blob).DownloadContentAsync(cancellationToken), blob).ConfigureAwait(false);
        return new BlobData(blob, download.Value.Content.ToMemory(), new BlobETag(download.Value.Details.ETag.ToString()));
    }

    public async Task<BlobData?> TryReadAsync(BlobRef blob, CancellationToken cancellationToken = default)
    {
        try
        {
            return await ReadAsync(blob, cancellationToken).ConfigureAwait(false);
        }
        catch (BlobNotFoundException)
        {
            return null;
        }
    }

    public async Task<BlobETag> WriteAsync(BlobRef blob, Stream content, WriteCondition? condition = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var options = new BlobUploadOptions { Conditions = Conditions(condition) };
        var result = await Call(() => Client(blob).UploadAsync(content, options, cancellationToken), blob, condition).ConfigureAwait(false);
        return new BlobETag(result.Value.ETag.ToString());
    }

    public async Task<BlobETag> WriteAsync(BlobRef blob, ReadOnlyMemory<byte> content, WriteCondition? condition = null, CancellationToken cancellationToken = default)
    {
        var options = new BlobUploadOptions { Conditions = Conditions(condition) };
        var result = await Call(() => Client(blob).UploadAsync(BinaryData.FromBytes(content), options, cancellationToken), blob, condition).ConfigureAwait(false);
        return new BlobETag(result.Value.ETag.ToString());
    }

    public async Task<bool> DeleteAsync(BlobRef blob, CancellationToken cancellationToken = default) =>
        (await Call(() => Client(blob).DeleteIfExistsAsync(cancellationToken: cancellationToken), blob).ConfigureAwait(false)).Value;

    private BlobClient Client(BlobRef blob)
    {
        BlobStorageExtensions.RequireBlob(blob, nameof(blob));
        return Container(blob.Area).GetBlobClient(blob.Path);
    }

    private static BlobRequestConditions? Conditions(WriteCondition? condition) => condition switch
    {
        null or { IsNone: true } => null,
        { IfNoneMatchAny: true } => new BlobRequestConditions { IfNoneMatch = ETag.All },
        { IfMatch: { } tag } => new BlobRequestConditions { IfMatch = new ETag(tag.Value) },
        _ => throw new InvalidOperationException($"Unhandled write condition {condition}."),
    };

    private async Task<T> Call<T>(Func<Task<T>> operation, BlobRef? blob, WriteCondition? condition = null)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            throw Translate(e, blob, condition);
        }
        catch (AggregateException e) when (IsUnreachable(e))
        {
            throw Unreachable(e);
        }
    }

    private Exception Translate(RequestFailedException e, BlobRef? blob, WriteCondition? condition)
    {
        if (e.ErrorCode == BlobErrorCode.ContainerNotFound && blob is not null)
        {
            return MissingContainer(blob.Area, e);
        }

        // If-Match failing is 412; If-None-Match:* on an existing blob is 409 BlobAlreadyExists (or 412 on some versions).
        if (blob is not null && condition is { IsNone: false } &&
            (e.Status == 412 || e.ErrorCode == BlobErrorCode.BlobAlreadyExists || e.ErrorCode == BlobErrorCode.ConditionNotMet))
        {
            return new BlobConditionFailedException(blob, condition, e);
        }

        if (blob is not null && (e.Status == 404 || e.ErrorCode == BlobErrorCode.BlobNotFound))
        {
            return new BlobNotFoundException(blob, Location, e);
        }

        return new StorageException($"Blob storage {Location} failed{(blob is null ? string.Empty : $" on '{blob}'")}: {e.Status} {e.ErrorCode}: {FirstLine(e.Message)}", e);
    }

    /// <summary>The retry policy gave up on a service it never reached (connection refused, DNS, timeouts).</summary>
    private static bool IsUnreachable(AggregateException e) => e.InnerExceptions.All(i => i is RequestFailedException { Status: 0 });

    private StorageException Unreachable(AggregateException e) =>
        new($"Blob storage {Location} is unreachable: {e.InnerExceptions[^1].Message}", e);

    private StorageException MissingContainer(StorageArea area, Exception e) =>
        new($"Container '{Containers.For(area)}' (area {area.ToName()}) does not exist in {Location}; create it (EnsureCreatedAsync, or the infrastructure deployment).", e);

    private static string FirstLine(string text)
    {
        var end = text.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? text : text[..end].TrimEnd();
    }
}
