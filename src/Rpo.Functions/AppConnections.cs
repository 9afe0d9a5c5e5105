using Azure.Messaging.ServiceBus;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Rpo.Pipeline.Storage;

namespace Rpo.Functions;

/// <summary>The app's own clients, opened from the connection settings that infra/ writes (docs/deploy.md).</summary>
public static class AppConnections
{
    /// <summary>
    /// subjects / work / models through "RpoStorage": identity-based (<c>RpoStorage__blobServiceUri</c> with
    /// <c>__credential</c> / <c>__clientId</c>) in Azure, or a connection string in <c>RpoStorage</c> for a local
    /// host against Azurite (<c>UseDevelopmentStorage=true</c>).
    /// </summary>
    public static IBlobStorage OpenStorage(IConfiguration configuration, AzureComponentFactory factory)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(factory);
        var section = configuration.GetSection(AppSettings.StorageConnection);
        if (section.Value is { Length: > 0 } connectionString)
        {
            return StorageFactory.Open(connectionString);
        }

        var uri = Required(section, "blobServiceUri");
        return new BlobContainerStorage(new BlobServiceClient(new Uri(uri), factory.CreateTokenCredential(section)));
    }

    /// <summary>The namespace jobs go to, through "RpoServiceBus" (<c>__fullyQualifiedNamespace</c> + identity).</summary>
    public static ServiceBusClient OpenServiceBus(IConfiguration configuration, AzureComponentFactory factory)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(factory);
        var section = configuration.GetSection(AppSettings.ServiceBusConnection);
        return new ServiceBusClient(Required(section, "fullyQualifiedNamespace"), factory.CreateTokenCredential(section));
    }

    private static string Required(IConfigurationSection section, string key) =>
        section[key] is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"The app setting {section.Key}__{key} is missing (docs/deploy.md, \"Settings the apps read\").");
}
