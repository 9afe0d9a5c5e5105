using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Rpo.Worker;

/// <summary>Stops the host once <see cref="IdleTracker"/> says the execution has been idle long enough.</summary>
public sealed class IdleExitService(IdleTracker idle, IHostApplicationLifetime lifetime, ILogger<IdleExitService> logger, TimeProvider? time = null) : BackgroundService
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!idle.Enabled)
        {
            return;
        }

        var period = TimeSpan.FromSeconds(Math.Clamp(idle.IdleLimit.TotalSeconds / 10, 0.1, 1));
        using var timer = new PeriodicTimer(period, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (idle.ShouldExit())
                {
                    logger.LogInformation("No job message for {Seconds:F0} s; exiting to give the GPU back.", idle.IdleLimit.TotalSeconds);
                    lifetime.StopApplication();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
