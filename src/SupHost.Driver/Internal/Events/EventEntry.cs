using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Driver.Internal.Events;

/// <summary>
/// One event semaphore: the daemon's eventfd. The session's client holds a duplicate of the same
/// descriptor (the same counter and the same O_NONBLOCK flag), so a signal from either side wakes a
/// waiter on either side, and nothing the daemon does with it may depend on the flag: signals go
/// through <see cref="EventSignaller"/>, reads use RWF_NOWAIT, and waits are poll(2) with a timeout.
/// </summary>
internal sealed class EventEntry(SafeFd fd, EventKind kind) : IDisposable
{
    /// <summary>
    /// The longest single poll of a wait: a wait notices its cancellation, the daemon stopping or
    /// the event's close within this time (poll cannot be woken by a token).
    /// </summary>
    private const int SliceMs = 100;

    private readonly List<IDisposable> _dependents = [];
    private volatile bool _closed;

    public SafeFd Fd { get; } = fd;

    public EventKind Kind { get; } = kind;

    /// <summary>Adds one to the counter without blocking; LimitReached when the counter is (now) at its limit.</summary>
    public SupStatus Signal(EventSignaller signaller, out string? message, out bool saturated)
    {
        SupStatus status = signaller.Signal(Fd, out message);
        saturated = status == SupStatus.Success && Libc.IsEventSaturated(Fd);
        if (saturated)
        {
            // eventfd_signal() saturates at 2^64-1 (POLLERR); only a client that wrote
            // 0xfffffffffffffffe to its descriptor gets there. The event stays signalled.
            message = "the event's counter is at its limit 0xffffffffffffffff (a client wrote to its descriptor); it stays signalled until read";
            return SupStatus.LimitReached;
        }

        return status;
    }

    /// <summary>Takes the counter, never blocking whatever the descriptor's flags.</summary>
    public void Reset() => _ = Libc.TryConsumeEventWithoutBlocking(Fd, out _);

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> (-1: without limit) for the event; an auto-reset
    /// event's signal is taken. Ends early, with <see cref="SupStatus.ObjectDying"/> when the event is
    /// closed, <see cref="SupStatus.ShuttingDown"/> when <paramref name="stopping"/> is cancelled and
    /// <see cref="SupStatus.WaitCancelled"/> when <paramref name="cancellation"/> is.
    /// </summary>
    public SupStatus Wait(int timeoutMs, CancellationToken cancellation, CancellationToken stopping)
    {
        long deadline = timeoutMs < 0 ? long.MaxValue : Environment.TickCount64 + timeoutMs;
        while (true)
        {
            if (_closed)
            {
                return SupStatus.ObjectDying;
            }

            if (stopping.IsCancellationRequested)
            {
                return SupStatus.ShuttingDown;
            }

            if (cancellation.IsCancellationRequested)
            {
                return SupStatus.WaitCancelled;
            }

            long left = deadline == long.MaxValue ? SliceMs : Math.Max(0, deadline - Environment.TickCount64);
            if (Libc.WaitReadable(Fd, (int)Math.Min(left, SliceMs)))
            {
                // A multi event stays signalled; an auto-reset one is taken by the first reader, and
                // another (the client, another module thread) may have been first since the poll.
                if (Kind == EventKind.Multi || Libc.TryConsumeEventWithoutBlocking(Fd, out _))
                {
                    return SupStatus.Success;
                }
            }

            if (deadline != long.MaxValue && Environment.TickCount64 >= deadline)
            {
                return SupStatus.WaitTimedOut;
            }
        }
    }

    /// <summary>
    /// Disposes <paramref name="dependent"/> when the event closes (a module's handle over it, see
    /// IModuleIo.OpenEvent); false, and nothing registered, when it is closed already.
    /// </summary>
    public bool AddDependent(IDisposable dependent)
    {
        lock (_dependents)
        {
            if (_closed)
            {
                return false;
            }

            _dependents.Add(dependent);
            return true;
        }
    }

    /// <summary>Forgets <paramref name="dependent"/> (it was closed on its own).</summary>
    public void RemoveDependent(IDisposable dependent)
    {
        lock (_dependents)
        {
            _dependents.Remove(dependent);
        }
    }

    public void Dispose()
    {
        IDisposable[] dependents;
        lock (_dependents)
        {
            _closed = true;
            dependents = [.. _dependents];
            _dependents.Clear();
        }

        // Each dependent leaves its readiness sets before the daemon's descriptor goes.
        foreach (IDisposable dependent in dependents)
        {
            dependent.Dispose();
        }

        Fd.Dispose();
    }
}
