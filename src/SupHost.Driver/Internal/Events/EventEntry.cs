using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Driver.Internal.Events;

/// <summary>
/// One event semaphore: the daemon's eventfd. The session's client holds a duplicate of the same
/// descriptor (the same counter), so a signal from either side wakes a waiter on either side.
/// </summary>
internal sealed class EventEntry(SafeFd fd, EventKind kind) : IDisposable
{
    public SafeFd Fd { get; } = fd;

    public EventKind Kind { get; } = kind;

    public void Signal() => Libc.SignalEvent(Fd);

    public void Reset() => _ = Libc.TryConsumeEvent(Fd);

    public bool Wait(int timeoutMs) => Libc.WaitEvent(Fd, consume: Kind == EventKind.AutoReset, timeoutMs);

    public void Dispose() => Fd.Dispose();
}
