namespace Rpo.Pipeline.Storage;

/// <summary>
/// A blob's version token: changes whenever the blob's content is replaced. Azure's ETag there; the local folder's is
/// the SHA-256 of the content (a strong validator: two tokens are equal exactly when the bytes are).
/// </summary>
public readonly record struct BlobETag(string Value)
{
    public override string ToString() => Value;
}

/// <summary>The condition a write must meet, checked atomically with the write itself.</summary>
public sealed record WriteCondition
{
    private WriteCondition(BlobETag? ifMatch, bool ifNoneMatchAny)
    {
        IfMatch = ifMatch;
        IfNoneMatchAny = ifNoneMatchAny;
    }

    /// <summary>Write whatever is there (last writer wins).</summary>
    public static WriteCondition None { get; } = new(null, false);

    /// <summary>If-None-Match: * — only when the blob does not exist yet.</summary>
    public static WriteCondition IfNotExists { get; } = new(null, true);

    /// <summary>If-Match — only when the blob exists and still has this version.</summary>
    public static WriteCondition IfMatchETag(BlobETag etag) => new(etag, false);

    public BlobETag? IfMatch { get; }

    public bool IfNoneMatchAny { get; }

    public bool IsNone => IfMatch is null && !IfNoneMatchAny;

    public override string ToString() => IfMatch is { } tag ? $"If-Match: {tag}" : IfNoneMatchAny ? "If-None-Match: *" : "unconditional";
}

/// <summary>One entry of a listing.</summary>
public sealed record BlobItemInfo(BlobRef Blob, long Size, DateTimeOffset LastModified);

/// <summary>A blob's whole content with the version it was read at.</summary>
public sealed record BlobData(BlobRef Blob, ReadOnlyMemory<byte> Content, BlobETag ETag);
