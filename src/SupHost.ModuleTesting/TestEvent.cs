using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.ModuleTesting;

/// <summary>
/// An event semaphore of a <see cref="TestSession"/> as its client sees it: the eventfd, waited on
/// and signalled here without a request, the same counter the module signals and waits on by
/// <see cref="Handle"/>. Disposing it closes the descriptor and the event (EventClose).
/// </summary>
public sealed class TestEvent : IDisposable
{
    private readonly TestSession _session;
    private int _disposed;

    internal TestEvent(TestSession session, ulong handle, bool multi, SafeFd descriptor)
    {
        _session = session;
        Handle = handle;
        IsMulti = multi;
        Descriptor = descriptor;
    }

    /// <summary>The event's handle in its session, which a module reaches it by.</summary>
    public ulong Handle { get; }

    /// <summary>A multi-release event (else auto-reset).</summary>
    public bool IsMulti { get; }

    /// <summary>This side's eventfd.</summary>
    public SafeFd Descriptor { get; }

    /// <summary>Signals the event, as a client does on its descriptor.</summary>
    public void Signal() => Libc.SignalEvent(Descriptor);

    /// <summary>Resets it to non-signalled.</summary>
    public void Reset() => _ = Libc.TryConsumeEvent(Descriptor);

    /// <summary>
    /// Waits up to <paramref name="timeoutMilliseconds"/> (-1: without limit, 0: a poll): <see cref="SupStatus.Success"/>
    /// when it was signalled (an auto-reset event's signal is taken), <see cref="SupStatus.WaitTimedOut"/> otherwise.
    /// </summary>
    public SupStatus Wait(int timeoutMilliseconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeoutMilliseconds, -1);
        return Libc.WaitEvent(Descriptor, consume: !IsMulti, timeoutMilliseconds) ? SupStatus.Success : SupStatus.WaitTimedOut;
    }

    /// <summary>Closes the descriptor and the event (if the session still holds it).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Descriptor.Dispose();
        _session.CloseQuietly(SupFunction.EventClose, Handle);
    }
}
