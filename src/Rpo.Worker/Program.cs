using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Orchestration;
using Rpo.Worker;

// The GPU container: takes train / score-checkpoint / generate jobs from the Service Bus queues until it has been idle
// for RpoWorker__IdleExitSeconds (one Container Apps Job execution), or until SIGTERM (the running job checkpoints and
// its message goes back to the queue). Settings: docs/deploy.md, "Settings the apps read".
var builder = Host.CreateApplicationBuilder(args);
WorkerSettings settings;
try
{
    settings = WorkerSettings.Read(builder.Configuration);
}
catch (WorkerSettingsException e)
{
    Console.Error.WriteLine($"rpo-worker: {e.Message}");
    return 2;
}

builder.Services.AddRpoWorker(settings);

// The job handlers of Rpo.Pipeline.Gpu, the same the local runner uses. Their train job reports progress through an
// ITrainingProgressSink, which the Azure result path registers; none is registered here until it does.
builder.Services.AddRpoGpuJobHandlers(settings);

using var host = builder.Build();
if (host.Services.GetService<ITrainingProgressSink>() is null)
{
    Console.Error.WriteLine("rpo-worker: no ITrainingProgressSink is registered: the train job could not report its labels and checkpoints to the orchestration; refusing to take messages.");
    return 3;
}

if (!host.Services.GetServices<IJobHandler>().Any())
{
    Console.Error.WriteLine("rpo-worker: no job handlers are registered (IJobHandler for train / score-checkpoint / generate); refusing to take messages it cannot run.");
    return 3;
}

await host.RunAsync().ConfigureAwait(false);
return 0;
