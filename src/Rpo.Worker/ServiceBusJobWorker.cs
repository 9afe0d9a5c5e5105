using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rpo.Pipeline.Jobs;

namespace Rpo.Worker;

/// <summary>
/// The Service Bus glue: one <see cref="ServiceBusProcessor"/> per job queue this worker has a handler for, each
/// taking one message at a time with its lock renewed for as long as a job may run, settled by
/// <see cref="JobMessageProcessor"/> (never auto-completed). On stop, the host's stopping token reaches the running
/// handler first; the processors are then stopped, which waits for that handler to abandon its message.
/// </summary>
public sealed class ServiceBusJobWorker(
    ServiceBusClient client,
    JobMessageProcessor processor,
    IdleTracker idle,
    WorkerSettings settings,
    ILogger<ServiceBusJobWorker> logger) : BackgroundService
{
    public static ServiceBusProcessorOptions ProcessorOptions(WorkerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new ServiceBusProcessorOptions
        {
            MaxConcurrentCalls = 1,
            AutoCompleteMessages = false,
            MaxAutoLockRenewalDuration = settings.MaxLockRenewal,
            ReceiveMode = ServiceBusReceiveMode.PeekLock,
            // No prefetch: a prefetched message's lock runs out unrenewed while another job holds the GPU.
            PrefetchCount = 0,
        };
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var processors = new List<ServiceBusProcessor>();
        try
        {
            foreach (var kind in processor.Kinds)
            {
                var queue = settings.Queues.For(kind);
                var receiver = client.CreateProcessor(queue, ProcessorOptions(settings));
                receiver.ProcessMessageAsync += args => OnMessageAsync(args, stoppingToken);
                receiver.ProcessErrorAsync += args =>
                {
                    logger.LogError(args.Exception, "Service Bus error on {Queue} ({Source}).", args.EntityPath, args.ErrorSource);
                    return Task.CompletedTask;
                };
                processors.Add(receiver);
            }

            foreach (var receiver in processors)
            {
                await receiver.StartProcessingAsync(stoppingToken).ConfigureAwait(false);
                logger.LogInformation("Listening on {Queue}.", receiver.EntityPath);
            }

            await Task.Delay(Timeout.Infinite, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var receiver in processors)
            {
                await receiver.StopProcessingAsync(CancellationToken.None).ConfigureAwait(false);
                await receiver.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task OnMessageAsync(ProcessMessageEventArgs args, CancellationToken stopping)
    {
        using var busy = idle.Begin();
        var outcome = await processor.ProcessAsync(args.Message, new ProcessMessageActions(args), stopping).ConfigureAwait(false);
        logger.LogInformation("{MessageId} from {Queue}: {Outcome}.", args.Message.MessageId, args.EntityPath, outcome);
    }

    /// <summary>Settles on the processor's receiver; not cancelled by shutdown, so a stopping worker still abandons.</summary>
    private sealed class ProcessMessageActions(ProcessMessageEventArgs args) : IMessageActions
    {
        public Task CompleteAsync() => args.CompleteMessageAsync(args.Message, CancellationToken.None);

        public Task AbandonAsync() => args.AbandonMessageAsync(args.Message, cancellationToken: CancellationToken.None);

        public Task DeadLetterAsync(string reason, string description) =>
            args.DeadLetterMessageAsync(args.Message, reason, description, CancellationToken.None);
    }
}
