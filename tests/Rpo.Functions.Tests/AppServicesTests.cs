using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Rpo.Functions.Functions;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Storage;

namespace Rpo.Functions.Tests;

/// <summary>The app's container, built from the settings infra/ writes (no Azure call is made: clients connect lazily).</summary>
public sealed class AppServicesTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings) =>
        new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .AddRpoFunctions()
            .BuildServiceProvider();

    private static readonly Dictionary<string, string?> Deployed = new()
    {
        ["RpoStorage:blobServiceUri"] = "https://rpostore.blob.core.windows.net/",
        ["RpoStorage:queueServiceUri"] = "https://rpostore.queue.core.windows.net/",
        ["RpoStorage:credential"] = "managedidentity",
        ["RpoStorage:clientId"] = "00000000-0000-0000-0000-000000000001",
        ["RpoServiceBus:fullyQualifiedNamespace"] = "rpo-bus.servicebus.windows.net",
        ["RpoServiceBus:credential"] = "managedidentity",
        ["RpoServiceBus:clientId"] = "00000000-0000-0000-0000-000000000001",
    };

    [Fact]
    public async Task Every_function_class_resolves_from_the_deployed_identity_settings_without_connecting()
    {
        await using var services = Build(Deployed);

        var storage = services.GetRequiredService<IBlobStorage>();
        Assert.IsType<BlobContainerStorage>(storage);
        Assert.Contains("rpostore.blob.core.windows.net", storage.Location, StringComparison.Ordinal);
        var dispatcher = Assert.IsType<ServiceBusJobDispatcher>(services.GetRequiredService<IJobDispatcher>());
        Assert.Equal(ServiceBusQueueNames.Default, dispatcher.Queues);
        Assert.IsType<ServiceBusModelAnnouncer>(services.GetRequiredService<IModelAnnouncer>());
        foreach (var function in new[] { typeof(RunActivityFunctions), typeof(SubjectBlobTrigger), typeof(JobResultsQueueTrigger), typeof(RunHttpFunctions), typeof(SubjectHttpFunctions), typeof(HealthFunction) })
        {
            Assert.NotNull(ActivatorUtilities.CreateInstance(services, function));
        }
    }

    [Fact]
    public async Task A_missing_connection_setting_is_named_with_its_app_setting_name()
    {
        await using var services = Build(new Dictionary<string, string?>(Deployed) { ["RpoStorage:blobServiceUri"] = null });

        var e = Assert.Throws<InvalidOperationException>(() => services.GetRequiredService<IBlobStorage>());

        Assert.Contains("RpoStorage__blobServiceUri", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connection_string_in_RpoStorage_opens_that_account_for_a_local_host()
    {
        await using var services = Build(new Dictionary<string, string?>(Deployed) { ["RpoStorage"] = Rpo.Pipeline.Tests.Storage.Azurite.ConnectionString });

        var storage = Assert.IsType<BlobContainerStorage>(services.GetRequiredService<IBlobStorage>());

        Assert.Equal(Rpo.Pipeline.Tests.Storage.Azurite.BlobEndpoint, storage.Location);
    }
}
