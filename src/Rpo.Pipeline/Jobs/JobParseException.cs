namespace Rpo.Pipeline.Jobs;

/// <summary>A job or result message that cannot be read; <see cref="Field"/> names where ("checkpoint", "negatives[2].images[0]", "$" for the whole body).</summary>
public sealed class JobParseException : FormatException
{
    public JobParseException(string field, string reason, Exception? innerException = null)
        : base($"Job message: field '{field}': {reason}", innerException)
    {
        Field = field;
        Reason = reason;
    }

    public JobParseException()
        : this("$", "unreadable")
    {
    }

    public JobParseException(string message)
        : this("$", message)
    {
    }

    public JobParseException(string message, Exception innerException)
        : this("$", message, innerException)
    {
    }

    public string Field { get; }

    public string Reason { get; }
}
