namespace Rpo.Pipeline.Storage;

/// <summary>Base of the storage errors the pipeline handles by type.</summary>
public class StorageException : Exception
{
    public StorageException()
    {
    }

    public StorageException(string message)
        : base(message)
    {
    }

    public StorageException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

public sealed class BlobNotFoundException : StorageException
{
    public BlobNotFoundException(BlobRef blob, string location, Exception? innerException = null)
        : base($"Blob '{blob}' does not exist in {location}.", innerException)
    {
        Blob = blob;
    }

    public BlobRef Blob { get; }
}

/// <summary>A conditional write (If-Match / If-None-Match) found the blob in another state than the condition requires.</summary>
public sealed class BlobConditionFailedException : StorageException
{
    public BlobConditionFailedException(BlobRef blob, WriteCondition condition, Exception? innerException = null)
        : base($"Conditional write of '{blob}' refused: the condition {condition} does not hold (someone else wrote it first).", innerException)
    {
        Blob = blob;
        Condition = condition;
    }

    public BlobRef Blob { get; }

    public WriteCondition Condition { get; }
}
