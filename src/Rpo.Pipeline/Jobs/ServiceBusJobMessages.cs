using Azure.Messaging.ServiceBus;

namespace Rpo.Pipeline.Jobs;

/// <summary>
/// Job and result messages on Service Bus. MessageId is the job id ("runId:kind:index") so that the queue's duplicate
/// detection drops a job sent twice (a retried activity); CorrelationId is the run id; Subject is the job kind (for
/// filters and tooling); ContentType application/json; the application property <c>schemaVersion</c> tells a reader
/// whether it understands the body.
/// </summary>
public static class ServiceBusJobMessages
{
    public const string ContentType = "application/json";
    public const string SchemaVersionProperty = "schemaVersion";
    public const string StatusProperty = "status";

    /// <summary>The body format this build writes and the newest it reads.</summary>
    public const int SchemaVersion = 1;

    public static ServiceBusMessage Create(Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var message = new ServiceBusMessage(JobMessages.Serialize(job))
        {
            MessageId = job.JobId,
            CorrelationId = job.RunId.Value,
            Subject = job.Kind.ToName(),
            ContentType = ContentType,
        };
        message.ApplicationProperties[SchemaVersionProperty] = SchemaVersion;
        return message;
    }

    public static ServiceBusMessage Create(JobResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var message = new ServiceBusMessage(JobMessages.Serialize(result))
        {
            MessageId = result.JobId,
            CorrelationId = result.RunId.Value,
            Subject = result.Kind.ToName(),
            ContentType = ContentType,
        };
        message.ApplicationProperties[SchemaVersionProperty] = SchemaVersion;
        message.ApplicationProperties[StatusProperty] = result.Status == JobStatus.Succeeded ? "succeeded" : "failed";
        return message;
    }

    /// <summary>Reads a job a worker received, checking the envelope against the body.</summary>
    public static Job ParseJob(ServiceBusReceivedMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        CheckEnvelope(message.ContentType, message.ApplicationProperties);
        var job = JobMessages.ParseJob(message.Body);
        CheckIdentity(message, job.Kind, job.JobId, job.RunId.Value);
        return job;
    }

    /// <summary>Reads a result the orchestration side received.</summary>
    public static JobResult ParseResult(ServiceBusReceivedMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        CheckEnvelope(message.ContentType, message.ApplicationProperties);
        var result = JobMessages.ParseResult(message.Body);
        CheckIdentity(message, result.Kind, result.JobId, result.RunId.Value);
        return result;
    }

    private static void CheckEnvelope(string? contentType, IReadOnlyDictionary<string, object> properties)
    {
        var mediaType = contentType?.Split(';')[0].Trim();
        if (!string.Equals(mediaType, ContentType, StringComparison.OrdinalIgnoreCase))
        {
            throw new JobParseException("message.contentType", $"'{contentType}' is not {ContentType}");
        }

        if (!properties.TryGetValue(SchemaVersionProperty, out var raw) || raw is null)
        {
            throw new JobParseException($"message.applicationProperties.{SchemaVersionProperty}", "missing");
        }

        int version;
        try
        {
            version = raw switch
            {
                int i => i,
                long l => checked((int)l),
                short s => s,
                string text => int.Parse(text, System.Globalization.CultureInfo.InvariantCulture),
                _ => throw new FormatException($"a {raw.GetType().Name}"),
            };
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new JobParseException($"message.applicationProperties.{SchemaVersionProperty}", $"'{raw}' is not an integer", e);
        }

        if (version < 1 || version > SchemaVersion)
        {
            throw new JobParseException(
                $"message.applicationProperties.{SchemaVersionProperty}",
                $"version {version} is not understood by this build (it reads 1 to {SchemaVersion}); update the worker or the functions app");
        }
    }

    private static void CheckIdentity(ServiceBusReceivedMessage message, JobKind kind, string jobId, string runId)
    {
        if (message.Subject != kind.ToName())
        {
            throw new JobParseException("message.subject", $"'{message.Subject}' does not match the body's kind '{kind.ToName()}'");
        }

        if (message.MessageId != jobId)
        {
            throw new JobParseException("message.messageId", $"'{message.MessageId}' does not match the body's job id '{jobId}'");
        }

        if (message.CorrelationId != runId)
        {
            throw new JobParseException("message.correlationId", $"'{message.CorrelationId}' does not match the body's run id '{runId}'");
        }
    }
}
