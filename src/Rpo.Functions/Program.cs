using Azure.Messaging.ServiceBus;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Rpo.Functions;
using Rpo.Functions.Functions;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Storage;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();

// The app's clients read the same identity-based connection settings as its triggers (docs/deploy.md): the
// component factory turns "<Connection>__credential" / "__clientId" into the user-assigned managed identity.
builder.Services.AddAzureClientsCore();
builder.Services.AddSingleton<IBlobStorage>(sp => AppConnections.OpenStorage(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<AzureComponentFactory>()));
builder.Services.AddSingleton(sp => AppConnections.OpenServiceBus(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<AzureComponentFactory>()));
builder.Services.AddSingleton<IJobDispatcher>(sp => new ServiceBusJobDispatcher(sp.GetRequiredService<ServiceBusClient>()));
RunActivityFunctions.AddActivities(builder.Services);

builder.Build().Run();
