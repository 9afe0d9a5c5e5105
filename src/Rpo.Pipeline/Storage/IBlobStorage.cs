namespace Rpo.Pipeline.Storage;

/// <summary>
/// The blob operations the pipeline needs, the same over a local folder and Azure Blob Storage. Every write is
/// atomic for readers (a reader sees the old content or the new, never part of it); a conditional write checks its
/// condition atomically with the write and throws <see cref="BlobConditionFailedException"/> when it does not hold.
/// </summary>
public interface IBlobStorage
{
    /// <summary>Where the storage is (folder path or account URL, never a secret), for messages.</summary>
    string Location { get; }

    /// <summary>Creates the three areas (containers / folders) where missing.</summary>
    Task EnsureCreatedAsync(CancellationToken cancellationToken = default);

    /// <summary>Every blob of <paramref name="area"/> whose path starts with <paramref name="prefix"/>, by name (ordinal).</summary>
    IAsyncEnumerable<BlobItemInfo> ListAsync(StorageArea area, string prefix, CancellationToken cancellationToken = default);

    Task<bool> ExistsAsync(BlobRef blob, CancellationToken cancellationToken = default);

    /// <summary>The blob's current version token, or null when it does not exist.</summary>
    Task<BlobETag?> GetETagAsync(BlobRef blob, CancellationToken cancellationToken = default);

    /// <summary>A stream over the blob's content; throws <see cref="BlobNotFoundException"/> when absent.</summary>
    Task<Stream> OpenReadAsync(BlobRef blob, CancellationToken cancellationToken = default);

    /// <summary>The whole content with its version token; throws <see cref="BlobNotFoundException"/> when absent.</summary>
    Task<BlobData> ReadAsync(BlobRef blob, CancellationToken cancellationToken = default);

    /// <summary>Like <see cref="ReadAsync"/>, but null when the blob does not exist.</summary>
    Task<BlobData?> TryReadAsync(BlobRef blob, CancellationToken cancellationToken = default);

    /// <summary>Writes the blob from a stream (read to its end) and returns the new version token.</summary>
    Task<BlobETag> WriteAsync(BlobRef blob, Stream content, WriteCondition? condition = null, CancellationToken cancellationToken = default);

    /// <summary>Writes the blob from bytes and returns the new version token.</summary>
    Task<BlobETag> WriteAsync(BlobRef blob, ReadOnlyMemory<byte> content, WriteCondition? condition = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes the blob; false when it did not exist.</summary>
    Task<bool> DeleteAsync(BlobRef blob, CancellationToken cancellationToken = default);
}

public static class BlobStorageExtensions
{
    /// <summary>Every blob under a folder reference.</summary>
    public static IAsyncEnumerable<BlobItemInfo> ListAsync(this IBlobStorage storage, BlobRef folder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(folder);
        if (!folder.IsFolder)
        {
            throw new ArgumentException($"'{folder}' is a blob; listing takes a folder reference (ending in '/').", nameof(folder));
        }

        return storage.ListAsync(folder.Area, folder.Path, cancellationToken);
    }

    /// <summary>Copies a blob by streaming it through this process.</summary>
    public static async Task<BlobETag> CopyAsync(this IBlobStorage storage, BlobRef source, BlobRef destination, WriteCondition? condition = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        await using var stream = await storage.OpenReadAsync(source, cancellationToken).ConfigureAwait(false);
        return await storage.WriteAsync(destination, stream, condition, cancellationToken).ConfigureAwait(false);
    }

    internal static void RequireBlob(BlobRef blob, string paramName)
    {
        ArgumentNullException.ThrowIfNull(blob, paramName);
        if (blob.IsFolder)
        {
            throw new ArgumentException($"'{blob}' is a folder reference; this operation needs a blob.", paramName);
        }
    }
}
