namespace SupHost.Abi;

/// <summary>
/// Event semaphores (SUPSEMEVENT/SUPSEMEVENTMULTI) that clients create and modules signal. A module
/// reaches an event through the session that holds it (the calling session, usually). Every method
/// returns a status: 0 success, -14 (InvalidHandle) when the session holds no event of that handle,
/// -39 (WaitTimedOut) when a wait ran out. None of them blocks on the client's descriptor, whatever
/// the client did to it: a signal of a counter a client filled is -20 (LimitReached; the event stays
/// signalled), -43 (SignalUnavailable) when the daemon cannot signal (no Linux AIO). A wait ends
/// early with -42 (WaitCancelled) once the call it runs in is cancelled, -24 (ShuttingDown) when the
/// daemon stops and -21 (ObjectDying) when the event is closed meanwhile.
/// </summary>
public interface IModuleEvents
{
    /// <summary>Signals the event <paramref name="handle"/> that <paramref name="holder"/> holds, waking its waiter (auto-reset) or every waiter (multi).</summary>
    int Signal(ISessionIdentity holder, ulong handle);

    /// <summary>Resets the event to non-signalled.</summary>
    int Reset(ISessionIdentity holder, ulong handle);

    /// <summary>
    /// Waits up to <paramref name="timeoutMilliseconds"/> (-1: without limit) for the event; an
    /// auto-reset event's signal is consumed by the wait. Blocks the calling thread.
    /// </summary>
    int Wait(ISessionIdentity holder, ulong handle, int timeoutMilliseconds);
}
