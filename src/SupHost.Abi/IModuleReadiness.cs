namespace SupHost.Abi;

/// <summary>
/// A readiness set (an epoll instance of the daemon's): one module thread waits on many handles at
/// once. Level-triggered: a handle stays reported while it is ready. Handles are reported in the
/// order they became ready (epoll's ready list). A closed handle leaves the set by itself.
/// Disposing it (or the module's unload) ends a running <see cref="Wait"/> with -21 ObjectDying.
/// </summary>
public interface IModuleReadiness : IDisposable
{
    /// <summary>How many handles it watches.</summary>
    int Count { get; }

    /// <summary>Watches <paramref name="handle"/> for <paramref name="interest"/>, reported with <paramref name="token"/>. 0, -17 AlreadyExists when it is in the set, -20 LimitReached, -21 ObjectDying when it is closed.</summary>
    int Add(IModuleIoHandle handle, IoInterest interest, ulong token);

    /// <summary>Changes what <paramref name="handle"/> is watched for and its token. 0 or -15 NotFound when it is not in the set.</summary>
    int Modify(IModuleIoHandle handle, IoInterest interest, ulong token);

    /// <summary>Stops watching <paramref name="handle"/>. 0 or -15 NotFound.</summary>
    int Remove(IModuleIoHandle handle);

    /// <summary>
    /// Waits up to <paramref name="timeoutMilliseconds"/> (-1: without limit, 0: only looks) for
    /// ready handles and fills <paramref name="ready"/> (at most 256 a call); returns how many
    /// (0: the time ran out), -42 WaitCancelled once <paramref name="cancellation"/> is cancelled
    /// (pass the worker's token, so that the module's unload ends the loop), -21 ObjectDying when
    /// the set is closed. Blocks the calling thread: run it on a worker (<see cref="IModuleHost.Threads"/>).
    /// </summary>
    int Wait(Span<IoReady> ready, int timeoutMilliseconds, CancellationToken cancellation);
}
