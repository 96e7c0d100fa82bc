using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Client;

/// <summary>
/// An event semaphore (SUPSEMEVENT / SUPSEMEVENTMULTI) of this session. The daemon sent its
/// eventfd, so <see cref="Wait(int)"/>, <see cref="Signal"/> and <see cref="Reset"/> work on the
/// descriptor here without a round trip; the daemon and its modules signal the same counter
/// (a module reaches it by <see cref="Handle"/>). Disposing closes it in the daemon too.
/// </summary>
public sealed class EventSemaphore : IDisposable
{
    private readonly SupClient _client;
    private int _disposed;

    internal EventSemaphore(SupClient client, ulong handle, EventKind kind, SafeFd descriptor)
    {
        _client = client;
        Handle = handle;
        Kind = kind;
        Descriptor = descriptor;
    }

    /// <summary>The event's handle (an object of type event or event-multi), for modules to find it by.</summary>
    public ulong Handle { get; }

    /// <summary>Auto-reset or multi.</summary>
    public EventKind Kind { get; }

    /// <summary>The eventfd: pass it (SCM_RIGHTS) to let another process wait on or signal the same event.</summary>
    public SafeFd Descriptor { get; }

    /// <summary>
    /// Signals the event: an auto-reset event wakes one waiter (signals do not add up), a multi
    /// event wakes every waiter and stays signalled until <see cref="Reset"/>.
    /// </summary>
    public void Signal() => Libc.SignalEvent(Descriptor);

    /// <summary>Resets the event to non-signalled (for a multi event; an auto-reset one resets as it is waited on).</summary>
    public void Reset() => _ = Libc.TryConsumeEvent(Descriptor);

    /// <summary>
    /// Waits up to <paramref name="timeoutMilliseconds"/> (-1: without limit, 0: a poll) for the
    /// event. Returns <see cref="SupStatus.Success"/> when it was signalled (taking the signal of
    /// an auto-reset event) or <see cref="SupStatus.WaitTimedOut"/> when the time ran out.
    /// </summary>
    public SupStatus Wait(int timeoutMilliseconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeoutMilliseconds, -1);
        return Libc.WaitEvent(Descriptor, consume: Kind == EventKind.AutoReset, timeoutMilliseconds)
            ? SupStatus.Success
            : SupStatus.WaitTimedOut;
    }

    /// <summary>As <see cref="Wait(int)"/>, with a <see cref="TimeSpan"/> (<see cref="Timeout.InfiniteTimeSpan"/>: without limit).</summary>
    public SupStatus Wait(TimeSpan timeout) =>
        Wait(timeout == Timeout.InfiniteTimeSpan ? -1 : (int)Math.Clamp(Math.Ceiling(timeout.TotalMilliseconds), 0, int.MaxValue));

    /// <summary>Closes the event: this process's descriptor and the daemon's object.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Descriptor.Dispose();
        _client.CloseQuietly(SupFunction.EventClose, Handle);
    }
}
