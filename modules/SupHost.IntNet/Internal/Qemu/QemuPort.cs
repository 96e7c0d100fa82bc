using SupHost.IntNet.Format;

namespace SupHost.IntNet.Internal.Qemu;

/// <summary>
/// A QEMU guest's NIC as a port of a network: one stream connection, or one datagram peer. It takes
/// no GSO (the switch cuts GSO frames into segments first: QEMU drops a connection on a frame over
/// its limit). A frame for it is written at once when the socket has room; otherwise it waits in
/// the port's bounded queue, and when that is full it is lost and counted: a guest that stops
/// reading costs its queue and never blocks the switch or the other ports.
/// </summary>
internal abstract class QemuPort(uint id, Network network, QemuEndpoint endpoint, string peer, int queueBytes) : Port(id, network)
{
    /// <summary>The largest frame QEMU takes or sends (its NET_BUFSIZE: 4096 + 65,536 bytes).</summary>
    public const int MaxFrame = 69_632;

    private int _closed;

    public QemuEndpoint Endpoint { get; } = endpoint;

    /// <summary>Who is on the other side: "accepted on PATH", the path connected to, a datagram peer's path.</summary>
    public string Peer { get; } = peer;

    public override bool Gso => false;

    /// <summary>Bytes waiting in the queue (headers included).</summary>
    public int Queued => Queue.Count;

    public int QueueCapacity => Queue.Capacity;

    public DateTimeOffset Connected { get; } = DateTimeOffset.UtcNow;

    /// <summary>Why the port was closed (logged, and shown by the endpoint), or null while open.</summary>
    public string? CloseReason { get; private set; }

    protected Lock WriteLock { get; } = new();

    protected FrameQueue Queue { get; } = new(queueBytes);

    /// <summary>Marks the port closing once: true for the caller that does the closing.</summary>
    public bool BeginClose(string reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return false;
        }

        CloseReason = reason;
        MarkClosed();
        return true;
    }

    public override bool Deliver(ReadOnlySpan<byte> frame, FrameType type, List<SharedBuffer> touched)
    {
        if (type != FrameType.Frame || frame.Length > MaxFrame || frame.Length == 0)
        {
            // A GSO frame reaches a port without GSO only cut (Network.Switch); anything else QEMU would refuse.
            Counters.CountLost();
            return false;
        }

        lock (WriteLock)
        {
            if (IsClosed)
            {
                return false;
            }

            if (!Send(frame))
            {
                Counters.CountLost();
                return false;
            }
        }

        return true;
    }

    /// <summary>Writes or queues one frame (under the write lock) and counts it out (before the peer can see it); false when it is lost.</summary>
    protected abstract bool Send(ReadOnlySpan<byte> frame);
}
