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

    /// <summary>
    /// Creates an event semaphore on behalf of <paramref name="session"/> (Abi 1.1): the event is
    /// that session's, as if it had made it with EventCreate (counted against its quotas, listed
    /// by <c>supctl objects</c>, closed by its EventClose or when it ends). <paramref name="descriptor"/>
    /// is a duplicate of its eventfd for the reply (<see cref="ModuleCall.Reply"/>), counted against
    /// the session's descriptors until it is sent or disposed.
    /// </summary>
    /// <param name="session">A client session, usually <c>call.Session</c>.</param>
    /// <param name="multi">A multi-release event (SUPSEMEVENTMULTI) rather than auto-reset.</param>
    /// <param name="handle">The event's handle in <paramref name="session"/>, on success.</param>
    /// <param name="descriptor">The eventfd's duplicate, on success; the caller owns it.</param>
    /// <returns>0; -20 (LimitReached) past a quota; -48 (SessionEnded) when the session has ended.</returns>
    /// <exception cref="ArgumentException"><paramref name="session"/> is not a client session of this daemon.</exception>
    int Create(ISessionIdentity session, bool multi, out ulong handle, out ModuleDescriptor? descriptor);

    /// <summary>
    /// Closes the event <paramref name="handle"/> that <paramref name="session"/> holds, as the
    /// session's own EventClose would (Abi 1.1): for a module giving back what it made with
    /// <see cref="Create"/>. The client's descriptor stays open until it closes it.
    /// </summary>
    /// <returns>0; -14 (InvalidHandle) when the session holds no event of that handle.</returns>
    /// <exception cref="ArgumentException"><paramref name="session"/> is not a client session of this daemon.</exception>
    int Close(ISessionIdentity session, ulong handle);
}
