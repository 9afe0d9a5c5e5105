namespace Rpo.Functions;

/// <summary>
/// The names the Functions app and infra/ share (docs/deploy.md, "Settings the apps read"). Triggers name a
/// connection, whose identity-based settings are "&lt;Connection&gt;__blobServiceUri", "__queueServiceUri",
/// "__credential", "__clientId".
/// </summary>
public static class AppSettings
{
    /// <summary>subjects / work / models and the job-results queue; not the host's AzureWebJobsStorage.</summary>
    public const string StorageConnection = "RpoStorage";

    /// <summary>The namespace jobs are sent to ("RpoServiceBus__fullyQualifiedNamespace").</summary>
    public const string ServiceBusConnection = "RpoServiceBus";

    /// <summary>The storage queue GPU workers report to (infra/modules/storage.bicep's jobResultsQueueName).</summary>
    public const string JobResultsQueue = "job-results";

    /// <summary>The uploads container, as deployed; the blob trigger's path starts with it.</summary>
    public const string SubjectsContainer = "subjects";
}
