namespace SupHost.Abi;

/// <summary>Timers for modules; each runs its callback on the thread pool, never two at once.</summary>
public interface IModuleTimers
{
    /// <summary>
    /// Starts a timer that first fires after <paramref name="dueTime"/> and then every
    /// <paramref name="period"/> (<see cref="Timeout.InfiniteTimeSpan"/> for one shot). Dispose
    /// the result to stop it; the daemon stops the rest when the module unloads.
    /// </summary>
    IDisposable Start(TimeSpan dueTime, TimeSpan period, Action callback);
}
