using Microsoft.Extensions.Logging;

namespace SupHost.Driver.Internal.Modules;

/// <summary>
/// A module's timer. Its callback never runs twice at once, and an exception from it is logged
/// and faults the module rather than taking the daemon down (a throwing Timer callback would end
/// the process); a faulted module's timers are suspended.
/// </summary>
internal sealed class ModuleTimer : IDisposable
{
    private readonly string _module;
    private readonly Action _callback;
    private readonly ILogger _logger;
    private readonly Action<Exception> _faulted;
    /// <summary>The timer whose callback runs on this thread, if any.</summary>
    [ThreadStatic]
    private static ModuleTimer? t_firing;

    private readonly Lock _running = new();
    private volatile bool _suspended;
    private Timer? _timer;
    private Action<ModuleTimer>? _onDispose;

    public ModuleTimer(string module, Action callback, ILogger logger, Action<Exception> faulted)
    {
        _faulted = faulted;
        _module = module;
        _callback = callback;
        _logger = logger;
    }

    public void Start(TimeSpan dueTime, TimeSpan period, Action<ModuleTimer> onDispose)
    {
        _onDispose = onDispose;
        _timer = new Timer(_ => Fire(), null, dueTime, period);
    }

    /// <summary>Stops the timer and waits for a running callback to finish (but not from the callback itself, which would wait for itself).</summary>
    public void Stop()
    {
        Timer? timer = Interlocked.Exchange(ref _timer, null);
        if (timer is null)
        {
            return;
        }

        if (t_firing == this)
        {
            timer.Dispose();
            return;
        }

        using var done = new ManualResetEvent(false);
        if (timer.Dispose(done))
        {
            done.WaitOne();
        }
    }

    /// <summary>
    /// Stops further firing without waiting (safe from the timer's own callback, which a fault
    /// reports from); <see cref="Stop"/> at unload still waits for a callback that is running.
    /// </summary>
    public void Suspend()
    {
        _suspended = true;
        try
        {
            Volatile.Read(ref _timer)?.Change(Timeout.Infinite, Timeout.Infinite);
        }
        catch (ObjectDisposedException)
        {
            // Stopped meanwhile.
        }
    }

    public void Dispose()
    {
        Stop();
        Interlocked.Exchange(ref _onDispose, null)?.Invoke(this);
    }

    private void Fire()
    {
        if (_suspended || !_running.TryEnter())
        {
            return;
        }

        t_firing = this;
        try
        {
            _callback();
        }
        catch (Exception ex)
        {
            ModuleLog.TimerThrew(_logger, ex, _module);
            _faulted(ex);
        }
        finally
        {
            t_firing = null;
            _running.Exit();
        }
    }
}
