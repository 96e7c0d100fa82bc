using Microsoft.Extensions.Hosting;
using SupHost.Driver;

namespace Supd;

/// <summary>Runs the driver inside the generic host: start on host start, stop (ending every session) on SIGTERM.</summary>
internal sealed class SupdService : IHostedService
{
    private readonly SupDriver _driver;
    private readonly ReadyNotifier _ready;

    public SupdService(SupDriver driver, ReadyNotifier ready)
    {
        _driver = driver;
        _ready = ready;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _driver.Start();
        _ready.NotifyReady();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _ready.NotifyStopping();
        _driver.Stop();
        return Task.CompletedTask;
    }
}
