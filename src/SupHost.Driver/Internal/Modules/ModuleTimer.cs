using Microsoft.Extensions.Logging;

namespace SupHost.Driver.Internal.Modules;

/// <summary>
/// A module's timer. Its callback never runs twice at once, and an exception from it is logged
/// rather than taking the daemon down (a throwing Timer callback would end the process).
/// </summary>
internal sealed class ModuleTimer : IDisposable
{
    private readonly string _module;
    private readonly Action _callback;
    private readonly ILogger _logger;
    private readonly Lock _running = new();
    private Timer? _timer;
    private Action<ModuleTimer>? _onDispose;

    public ModuleTimer(string module, Action callback, ILogger logger)
    {
        _module = module;
        _callback = callback;
        _logger = logger;
    }

    public void Start(TimeSpan dueTime, TimeSpan period, Action<ModuleTimer> onDispose)
    {
        _onDispose = onDispose;
        _timer = new Timer(_ => Fire(), null, dueTime, period);
    }

    /// <summary>Stops the timer and waits for a running callback to finish.</summary>
    public void Stop()
    {
        Timer? timer = Interlocked.Exchange(ref _timer, null);
        if (timer is null)
        {
            return;
        }

        using var done = new ManualResetEvent(false);
        if (timer.Dispose(done))
        {
            done.WaitOne();
        }
    }

    public void Dispose()
    {
        Stop();
        Interlocked.Exchange(ref _onDispose, null)?.Invoke(this);
    }

    private void Fire()
    {
        if (!_running.TryEnter())
        {
            return;
        }

        try
        {
            _callback();
        }
        catch (Exception ex)
        {
            ModuleLog.TimerThrew(_logger, ex, _module);
        }
        finally
        {
            _running.Exit();
        }
    }
}
