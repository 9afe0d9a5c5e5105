using System.Net;
using DurableTask.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing.Sidecar;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Rpo.Pipeline.Local;

/// <summary>
/// The in-process Durable Task host of the local runner: the in-memory orchestration service behind its gRPC sidecar
/// (from Microsoft.DurableTask.InProcessTestHost) and a Durable Task worker and client over that channel. Built here
/// rather than with the package's DurableTaskTestHost because that one's hosts take the process's signals: Ctrl+C or
/// SIGTERM stopped the sidecar's dispatching and swallowed the signal, so <c>rpo run</c> could neither cancel cleanly
/// nor be stopped; its sidecar also logged every request to the console. Here no host listens to signals, nothing is
/// logged unless a logger factory is given, and the sidecar takes a free loopback port.
/// </summary>
internal sealed class LocalDurableHost : IAsyncDisposable
{
    private readonly IHost _sidecar;
    private readonly IHost _worker;
    private readonly GrpcChannel _channel;

    private LocalDurableHost(IHost sidecar, IHost worker, GrpcChannel channel)
    {
        _sidecar = sidecar;
        _worker = worker;
        _channel = channel;
        Client = worker.Services.GetRequiredService<DurableTaskClient>();
    }

    public DurableTaskClient Client { get; }

    public static async Task<LocalDurableHost> StartAsync(
        Action<DurableTaskRegistry> registry, Action<IServiceCollection> configureServices, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var orchestrations = new InMemoryOrchestrationService(loggers);
        var sidecar = new HostBuilder()
            .ConfigureWebHost(web => web
                .UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2))
                .ConfigureServices(services =>
                {
                    services.AddGrpc();
                    services.AddSingleton<IOrchestrationService>(orchestrations);
                    services.AddSingleton<IOrchestrationServiceClient>(orchestrations);
                    services.AddSingleton<TaskHubGrpcServer>();
                })
                .Configure(app =>
                {
                    app.UseRouting();
                    app.UseEndpoints(endpoints => endpoints.MapGrpcService<TaskHubGrpcServer>());
                }))
            .ConfigureServices(services => Quiet(services, loggers))
            .Build();
        await sidecar.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = sidecar.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        var channel = GrpcChannel.ForAddress(address);
        var worker = new HostBuilder()
            .ConfigureServices(services =>
            {
                Quiet(services, loggers);
                configureServices(services);
                services.AddDurableTaskWorker(builder =>
                {
                    builder.UseGrpc(channel);
                    builder.AddTasks(registry);
                });
                services.AddDurableTaskClient(builder =>
                {
                    builder.UseGrpc(channel);
                    builder.RegisterDirectly();
                });
            })
            .Build();
        await worker.StartAsync(cancellationToken).ConfigureAwait(false);
        return new LocalDurableHost(sidecar, worker, channel);
    }

    public async ValueTask DisposeAsync()
    {
        await _worker.StopAsync().ConfigureAwait(false);
        _worker.Dispose();
        await _channel.ShutdownAsync().ConfigureAwait(false);
        _channel.Dispose();
        await _sidecar.StopAsync().ConfigureAwait(false);
        _sidecar.Dispose();
    }

    /// <summary>The caller's loggers only, and a lifetime that leaves Ctrl+C and SIGTERM to the process.</summary>
    private static void Quiet(IServiceCollection services, ILoggerFactory loggers)
    {
        services.AddSingleton(loggers);
        services.AddSingleton<IHostLifetime, NoSignalLifetime>();
    }

    private sealed class NoSignalLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
