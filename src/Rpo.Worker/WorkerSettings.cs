using System.Globalization;
using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Configuration;
using Rpo.Pipeline.Gpu;
using Rpo.Pipeline.Jobs;

namespace Rpo.Worker;

/// <summary>A setting the worker needs is missing or wrong; the message names it as the environment spells it.</summary>
public sealed class WorkerSettingsException(string message) : Exception(message)
{
    public WorkerSettingsException()
        : this("The worker's settings are not valid.")
    {
    }

    public WorkerSettingsException(string message, Exception innerException)
        : this(message + " " + innerException?.Message)
    {
    }
}

/// <summary>
/// The worker's settings, read from configuration (environment variables in the container; names in docs/deploy.md,
/// "Settings the apps read", set by infra/modules/workerJob.bicep). Identity-based only: there is no connection string.
/// </summary>
public sealed record WorkerSettings
{
    public const string ServiceBusNamespaceKey = "RpoServiceBus:fullyQualifiedNamespace";
    public const string ServiceBusCredentialKey = "RpoServiceBus:credential";
    public const string ServiceBusClientIdKey = "RpoServiceBus:clientId";
    public const string BlobServiceUriKey = "RpoStorage:blobServiceUri";
    public const string QueueServiceUriKey = "RpoStorage:queueServiceUri";
    public const string StorageCredentialKey = "RpoStorage:credential";
    public const string StorageClientIdKey = "RpoStorage:clientId";
    public const string JobResultsQueueKey = "RpoWorker:JobResultsQueue";
    public const string IdleExitSecondsKey = "RpoWorker:IdleExitSeconds";
    public const string MaxLockRenewalMinutesKey = "RpoWorker:MaxLockRenewalMinutes";
    public const string MaxDeliveryCountKey = "RpoWorker:MaxDeliveryCount";
    public const string ShutdownTimeoutSecondsKey = "RpoWorker:ShutdownTimeoutSeconds";
    public const string ModelsFolderKey = "RpoWorker:ModelsFolder";
    public const string ModelCacheFolderKey = "RpoWorker:ModelCacheFolder";
    public const string AlignRewardFolderKey = "RpoWorker:AlignRewardFolder";
    public const string ClipRewardFolderKey = "RpoWorker:ClipRewardFolder";
    public const string ScratchFolderKey = "RpoWorker:ScratchFolder";
    public const string DeviceKey = "RpoWorker:Device";
    public const string AzureClientIdKey = "AZURE_CLIENT_ID";

    /// <summary>&lt;name&gt;.servicebus.windows.net.</summary>
    public required string ServiceBusNamespace { get; init; }

    public required Uri BlobServiceUri { get; init; }

    /// <summary>The storage queue endpoint of the job-results queue.</summary>
    public required Uri QueueServiceUri { get; init; }

    public required string JobResultsQueue { get; init; }

    /// <summary>"managedidentity", or null for DefaultAzureCredential (a developer's sign-in).</summary>
    public string? ServiceBusCredential { get; init; }

    public string? ServiceBusClientId { get; init; }

    public string? StorageCredential { get; init; }

    public string? StorageClientId { get; init; }

    /// <summary>Zero: never exit for idleness.</summary>
    public TimeSpan IdleExit { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a message's lock is kept renewed while its job runs; a training job runs for hours.</summary>
    public TimeSpan MaxLockRenewal { get; init; } = TimeSpan.FromHours(6);

    /// <summary>The job queues' MaxDeliveryCount (infra/modules/serviceBus.bicep).</summary>
    public int MaxDeliveryCount { get; init; } = 3;

    /// <summary>How long a stopping worker waits for the running job to checkpoint and its message to be abandoned.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Where Hugging Face models are mounted as {folder}/{org}/{name}; null: runs must name a folder or "tiny".</summary>
    public string? ModelsFolder { get; init; }

    /// <summary>Where the tiny mock model is written when a run names it.</summary>
    public string ModelCacheFolder { get; init; } = Path.Combine(Path.GetTempPath(), "rpo-worker", "models");

    /// <summary>The ALIGN / CLIP reward encoders (transformers folders) for base models without a reward/ folder.</summary>
    public string? AlignRewardFolder { get; init; }

    public string? ClipRewardFolder { get; init; }

    /// <summary>Local working space of the jobs (checkpoints pass through it: ~10 GB for a full SD fine-tune).</summary>
    public string ScratchFolder { get; init; } = Path.Combine(Path.GetTempPath(), "rpo-worker", "scratch");

    /// <summary>A LibTorch device ("cuda", "cuda:1", "cpu"); null: CUDA when LibTorch sees a GPU.</summary>
    public string? Device { get; init; }

    /// <summary>The models catalog's settings (<see cref="GpuModels"/>).</summary>
    public GpuModelSettings ModelSettings => new(ModelCacheFolder, ModelsFolder, AlignRewardFolder, ClipRewardFolder, Device);

    public ServiceBusQueueNames Queues => ServiceBusQueueNames.Default with { Results = JobResultsQueue };

    /// <summary>Reads and checks every setting; throws <see cref="WorkerSettingsException"/> naming the first problem.</summary>
    public static WorkerSettings Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var azureClientId = Optional(configuration, AzureClientIdKey);
        var settings = new WorkerSettings
        {
            ServiceBusNamespace = Namespace(Required(configuration, ServiceBusNamespaceKey)),
            BlobServiceUri = HttpsUri(configuration, BlobServiceUriKey),
            QueueServiceUri = HttpsUri(configuration, QueueServiceUriKey),
            JobResultsQueue = Optional(configuration, JobResultsQueueKey) ?? ServiceBusQueueNames.Default.Results,
            ServiceBusCredential = Credential(configuration, ServiceBusCredentialKey),
            ServiceBusClientId = Optional(configuration, ServiceBusClientIdKey) ?? azureClientId,
            StorageCredential = Credential(configuration, StorageCredentialKey),
            StorageClientId = Optional(configuration, StorageClientIdKey) ?? azureClientId,
            IdleExit = TimeSpan.FromSeconds(Number(configuration, IdleExitSecondsKey, 60, min: 0)),
            MaxLockRenewal = TimeSpan.FromMinutes(Number(configuration, MaxLockRenewalMinutesKey, 360, min: 1)),
            MaxDeliveryCount = Number(configuration, MaxDeliveryCountKey, 3, min: 1),
            ShutdownTimeout = TimeSpan.FromSeconds(Number(configuration, ShutdownTimeoutSecondsKey, 30, min: 1)),
            ModelsFolder = Optional(configuration, ModelsFolderKey),
            AlignRewardFolder = Optional(configuration, AlignRewardFolderKey),
            ClipRewardFolder = Optional(configuration, ClipRewardFolderKey),
            Device = Optional(configuration, DeviceKey),
        };
        settings = settings with
        {
            ModelCacheFolder = Optional(configuration, ModelCacheFolderKey) ?? settings.ModelCacheFolder,
            ScratchFolder = Optional(configuration, ScratchFolderKey) ?? settings.ScratchFolder,
        };
        return settings;
    }

    public TokenCredential ServiceBusTokenCredential() => CreateCredential(ServiceBusCredential, ServiceBusClientId);

    public TokenCredential StorageTokenCredential() => CreateCredential(StorageCredential, StorageClientId);

    /// <summary>The environment variable that sets a configuration key ("RpoWorker:IdleExitSeconds" -> "RpoWorker__IdleExitSeconds").</summary>
    public static string EnvironmentName(string key) => key.Replace(":", "__", StringComparison.Ordinal);

    private static TokenCredential CreateCredential(string? kind, string? clientId) =>
        kind is null
            ? new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = clientId })
            : new ManagedIdentityCredential(clientId is null ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(clientId));

    private static string? Optional(IConfiguration configuration, string key)
    {
        var value = configuration[key];
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    private static string Required(IConfiguration configuration, string key) =>
        Optional(configuration, key) ?? throw new WorkerSettingsException($"The setting {EnvironmentName(key)} is missing; {Purpose(key)}.");

    private static string Purpose(string key) => key switch
    {
        ServiceBusNamespaceKey => "it names the Service Bus namespace the job queues are in (<name>.servicebus.windows.net)",
        BlobServiceUriKey => "it is the blob endpoint of the storage account (https://<account>.blob.core.windows.net/)",
        QueueServiceUriKey => "it is the queue endpoint of the storage account the job-results queue is in (https://<account>.queue.core.windows.net/)",
        _ => "see docs/deploy.md, \"Settings the apps read\"",
    };

    private static string Namespace(string value)
    {
        var host = value.Contains("://", StringComparison.Ordinal) && Uri.TryCreate(value, UriKind.Absolute, out var uri) ? uri.Host : value.TrimEnd('/');
        return Uri.CheckHostName(host) == System.UriHostNameType.Dns && host.Contains('.', StringComparison.Ordinal)
            ? host
            : throw new WorkerSettingsException($"The setting {EnvironmentName(ServiceBusNamespaceKey)} is '{value}', not a fully qualified namespace such as <name>.servicebus.windows.net.");
    }

    private static Uri HttpsUri(IConfiguration configuration, string key)
    {
        var value = Required(configuration, key);
        return Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            ? uri
            : throw new WorkerSettingsException($"The setting {EnvironmentName(key)} is '{value}', not an http(s) endpoint URL.");
    }

    private static string? Credential(IConfiguration configuration, string key)
    {
        var value = Optional(configuration, key);
        return value is null || string.Equals(value, "managedidentity", StringComparison.OrdinalIgnoreCase)
            ? value?.ToLowerInvariant()
            : throw new WorkerSettingsException($"The setting {EnvironmentName(key)} is '{value}'; the worker knows 'managedidentity' (or no value for DefaultAzureCredential).");
    }

    private static int Number(IConfiguration configuration, string key, int fallback, int min)
    {
        var value = Optional(configuration, key);
        if (value is null)
        {
            return fallback;
        }

        return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && number >= min
            ? number
            : throw new WorkerSettingsException($"The setting {EnvironmentName(key)} is '{value}', not a whole number >= {min}.");
    }
}
