using SupHost.IntNet.Format;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Client;

/// <summary>
/// The consumer side of a receive ring with its doorbell (docs/intnet.md, "Producer/consumer
/// protocol with the doorbells"): reads frames without a system call while there are any, and
/// before sleeping announces it in word 148, fences, and looks again, so that a frame the switch
/// commits at the same moment either is seen or makes the switch ring the doorbell.
/// </summary>
internal sealed class DoorbellReceiver : IDisposable
{
    private readonly IntNetMapping _mapping;
    private readonly RingReader _reader;
    private readonly SafeFd _doorbell;
    private int _abortGeneration;
    private volatile bool _noMoreWaits;
    private volatile bool _closed;
    private long _sleeps;

    public unsafe DoorbellReceiver(IntNetMapping mapping, SafeFd doorbell)
    {
        _mapping = mapping;
        _doorbell = doorbell;
        _reader = new RingReader(mapping.Base, mapping.Length, mapping.Layout.Receive);
    }

    public RingReader Reader => _reader;

    /// <summary>Times a wait found the ring empty and slept on the doorbell.</summary>
    public long Sleeps => Interlocked.Read(ref _sleeps);

    /// <summary>The switch's word 144.</summary>
    public uint SwitchState => _mapping.ReadWord(IntNetWire.SwitchStateOffset);

    /// <summary>
    /// The next frame, copied out; <see cref="RingStatus.Empty"/> when there is none. A bad entry
    /// (which only a broken or hostile writer makes) was dropped and counted by the reader; the
    /// ring is looked at once more and then reported as it stands.
    /// </summary>
    public RingStatus TryRead(Span<byte> destination, out int length, out FrameType type)
    {
        RingStatus status = _reader.Read(destination, out length, out type);
        return status == RingStatus.Corrupt ? _reader.Read(destination, out length, out type) : status;
    }

    /// <summary>Whether a frame is pending (the reader keeps what it peeked for the next read).</summary>
    public bool HasFrame()
    {
        RingStatus status = _reader.Peek(out _, out _);
        if (status == RingStatus.Corrupt)
        {
            status = _reader.Peek(out _, out _);
        }

        return status == RingStatus.Success;
    }

    /// <summary>
    /// Waits until a frame is pending (<see cref="SupStatus.Success"/>), the time runs out
    /// (<see cref="SupStatus.WaitTimedOut"/>), the switch closed the interface or aborted its waits
    /// for good, or this process closed it (<see cref="SupStatus.ObjectDying"/>), or an
    /// <see cref="Abort"/> or the token ended this wait (<see cref="SupStatus.WaitCancelled"/>).
    /// </summary>
    public SupStatus Wait(int timeoutMilliseconds, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeoutMilliseconds, -1);
        int generation = Volatile.Read(ref _abortGeneration);
        long deadline = Deadline.After(timeoutMilliseconds);
        // Hold the doorbell for the whole wait: a Dispose on another thread closes it only after.
        bool held = false;
        try
        {
            _doorbell.DangerousAddRef(ref held);
        }
        catch (ObjectDisposedException)
        {
            return SupStatus.ObjectDying;
        }

        try
        {
            return WaitHeld(generation, deadline, cancellationToken);
        }
        finally
        {
            _doorbell.DangerousRelease();
        }
    }

    private SupStatus WaitHeld(int generation, long deadline, CancellationToken cancellationToken)
    {
        using CancellationTokenRegistration registration = cancellationToken.CanBeCanceled
            ? cancellationToken.Register(static state => ((DoorbellReceiver)state!).RingOwnDoorbell(), this)
            : default;
        while (true)
        {
            if (Ended(generation, cancellationToken) is SupStatus ended)
            {
                return ended;
            }

            if (HasFrame())
            {
                return SupStatus.Success;
            }

            int left = Deadline.Left(deadline);
            if (left == 0)
            {
                return SupStatus.WaitTimedOut;
            }

            // Announce the sleep, fence, and look again: the switch commits, fences and then reads
            // word 148, so one of the two sides sees the other (no lost wake-up).
            _mapping.WriteWord(IntNetWire.SleepingOffset, 1);
            Interlocked.MemoryBarrier();
            if (!HasFrame() && Ended(generation, cancellationToken) is null)
            {
                Interlocked.Increment(ref _sleeps);
                Libc.WaitEvent(_doorbell, consume: true, left);
            }

            _mapping.WriteWord(IntNetWire.SleepingOffset, 0);
        }
    }

    /// <summary>Ends the waits running now (<see cref="SupStatus.WaitCancelled"/>), and with <paramref name="noMoreWaits"/> every later one (<see cref="SupStatus.ObjectDying"/>).</summary>
    public void Abort(bool noMoreWaits)
    {
        if (noMoreWaits)
        {
            _noMoreWaits = true;
        }

        Interlocked.Increment(ref _abortGeneration);
        RingOwnDoorbell();
    }

    /// <summary>Marks the receiver closed by this process and wakes its waiter.</summary>
    public void Close()
    {
        _closed = true;
        RingOwnDoorbell();
    }

    public void Dispose() => _reader.Dispose();

    private SupStatus? Ended(int generation, CancellationToken cancellationToken)
    {
        if (_closed || _noMoreWaits || (SwitchState & (IntNetWire.Closed | IntNetWire.WaitsAborted)) != 0)
        {
            return SupStatus.ObjectDying;
        }

        return Volatile.Read(ref _abortGeneration) != generation || cancellationToken.IsCancellationRequested
            ? SupStatus.WaitCancelled
            : null;
    }

    /// <summary>Wakes this process's own waiter: the doorbell is ours to signal too, and a waiter that wakes to nothing looks again.</summary>
    private void RingOwnDoorbell()
    {
        try
        {
            Libc.SignalEvent(_doorbell);
        }
        catch (ObjectDisposedException)
        {
            // Closed already: nobody waits on it any more.
        }
        catch (NativeException)
        {
            // A counter at its maximum wakes the waiter all the same.
        }
    }
}
