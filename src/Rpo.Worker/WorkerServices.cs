using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rpo.Pipeline.Gpu;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Orchestration;
using Rpo.Pipeline.Storage;

namespace Rpo.Worker;

public static class WorkerServices
{
    /// <summary>
    /// The worker's services over Azure: Service Bus (job queues), Blob Storage (job inputs/outputs and result
    /// blobs) and the job-results storage queue, each with its identity from <paramref name="settings"/>. The job
    /// handlers are the caller's (<see cref="IJobHandler"/> registrations), the same classes the local runner uses.
    /// </summary>
    public static IServiceCollection AddRpoWorker(this IServiceCollection services, WorkerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(settings);
        services.AddSingleton(settings);
        services.AddSingleton(TimeProvider.System);
        services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.ShutdownTimeout);
        services.AddSingleton(_ => new ServiceBusClient(settings.ServiceBusNamespace, settings.ServiceBusTokenCredential()));
        services.AddSingleton<IBlobStorage>(_ => new BlobContainerStorage(new Azure.Storage.Blobs.BlobServiceClient(settings.BlobServiceUri, settings.StorageTokenCredential())));
        // One queue client for results and a train job's progress reports (the handlers take ITrainingProgressSink).
        services.AddSingleton(_ => new StorageQueueJobResultSink(
            StorageQueueJobResultSink.CreateClient(settings.QueueServiceUri, settings.JobResultsQueue, settings.StorageTokenCredential())));
        services.AddSingleton<IJobResultSink>(sp => sp.GetRequiredService<StorageQueueJobResultSink>());
        services.AddSingleton<ITrainingProgressSink>(sp => sp.GetRequiredService<StorageQueueJobResultSink>());
        services.AddSingleton<GpuJobGate>();
        services.AddSingleton(sp => new IdleTracker(settings.IdleExit, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp =>
        {
            var handlers = sp.GetServices<IJobHandler>().ToList();
            if (handlers.Count == 0)
            {
                throw new InvalidOperationException("No job handlers are registered (IJobHandler for train / score-checkpoint / generate); the worker would take messages it cannot run.");
            }

            return new JobMessageProcessor(
                handlers,
                sp.GetRequiredService<IJobResultSink>(),
                sp.GetRequiredService<IBlobStorage>(),
                sp.GetRequiredService<GpuJobGate>(),
                settings.MaxDeliveryCount,
                sp.GetRequiredService<ILogger<JobMessageProcessor>>(),
                sp.GetRequiredService<TimeProvider>());
        });
        services.AddHostedService<ServiceBusJobWorker>();
        services.AddHostedService<IdleExitService>();
        return services;
    }

    /// <summary>
    /// The real GPU job handlers (<see cref="GpuJobHandlers"/>, the ones <c>rpo run</c> uses) over the models and
    /// scratch folders of <paramref name="settings"/>. The train job's progress goes to the
    /// <see cref="ITrainingProgressSink"/> registered elsewhere; resolving a handler without one throws.
    /// </summary>
    public static IServiceCollection AddRpoGpuJobHandlers(this IServiceCollection services, WorkerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(settings);
        services.AddSingleton(_ => new GpuModels(settings.ModelSettings));
        services.AddSingleton(sp => new GpuHandlerSet(GpuJobHandlers.Create(
            sp.GetRequiredService<IBlobStorage>(),
            sp.GetRequiredService<GpuModels>(),
            sp.GetRequiredService<ITrainingProgressSink>(),
            settings.ScratchFolder,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("Rpo.Pipeline.Gpu"))));
        foreach (var kind in new[] { JobKind.Generate, JobKind.Train, JobKind.ScoreCheckpoint })
        {
            services.AddSingleton<IJobHandler>(sp => sp.GetRequiredService<GpuHandlerSet>().Handlers.Single(h => h.Kind == kind));
        }

        return services;
    }

    /// <summary>The handlers <see cref="GpuJobHandlers.Create"/> made together (they share one models catalog).</summary>
    private sealed record GpuHandlerSet(IReadOnlyList<IJobHandler> Handlers);
}
