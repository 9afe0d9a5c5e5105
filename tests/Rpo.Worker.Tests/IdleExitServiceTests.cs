using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Rpo.Worker.Tests;

public sealed class IdleExitServiceTests
{
    [Fact]
    public async Task An_idle_worker_stops_its_host_by_itself()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton(new IdleTracker(TimeSpan.FromMilliseconds(200)));
        builder.Services.AddHostedService<IdleExitService>();
        using var host = builder.Build();

        await host.StartAsync();
        var stopped = host.WaitForShutdownAsync();
        // A bound against hanging, not a timing assertion: the limit is 0.2 s.
        var first = await Task.WhenAny(stopped, Task.Delay(TimeSpan.FromMinutes(2)));

        Assert.Same(stopped, first);
    }
}
