using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Rpo.Functions.Functions;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Storage;

namespace Rpo.Functions;

public static class AppServices
{
    /// <summary>
    /// The services the functions take: storage, the Service Bus job dispatcher and model announcer, and the run's
    /// activity classes. The clients read the same identity-based connection settings as the triggers
    /// (docs/deploy.md): the component factory turns "&lt;Connection&gt;__credential" / "__clientId" into the
    /// user-assigned managed identity. Nothing connects until a function runs.
    /// </summary>
    public static IServiceCollection AddRpoFunctions(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddAzureClientsCore();
        services.AddSingleton<IBlobStorage>(sp => AppConnections.OpenStorage(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<AzureComponentFactory>()));
        services.AddSingleton(sp => AppConnections.OpenServiceBus(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<AzureComponentFactory>()));
        services.AddSingleton<IJobDispatcher>(sp => new ServiceBusJobDispatcher(sp.GetRequiredService<ServiceBusClient>()));

        // The publish activity announces each new current version on the model-published topic.
        services.AddSingleton<IModelAnnouncer>(sp => new ServiceBusModelAnnouncer(sp.GetRequiredService<ServiceBusClient>().CreateSender(ServiceBusModelAnnouncer.DefaultTopic)));
        return RunActivityFunctions.AddActivities(services);
    }
}
