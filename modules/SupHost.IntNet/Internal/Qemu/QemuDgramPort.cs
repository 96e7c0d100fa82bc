namespace SupHost.IntNet.Internal.Qemu;

/// <summary>
/// One peer of a <c>-netdev dgram</c> socket: a frame a datagram, sent to the peer's path from the
/// endpoint's one socket. A full receiver (EAGAIN) queues the frame and the loop retries; a failed
/// send (the peer's socket is gone) marks the port failed and the loop forgets it.
/// </summary>
internal sealed class QemuDgramPort(uint id, Network network, QemuDgramEndpoint endpoint, string peer, byte[] address, int queueBytes, QemuLoop loop)
    : QemuPort(id, network, endpoint, peer, queueBytes)
{
    private readonly byte[] _address = address;
    private readonly QemuLoop _loop = loop;
    private bool _retrying;
    private volatile bool _failed;

    public override string Kind => "qemu-dgram";

    /// <summary>The peer's sun_path bytes, as ReceiveFrom reports them.</summary>
    public ReadOnlySpan<byte> Address => _address;

    /// <summary>When it last sent (Environment.TickCount64), for the idle time; written by the loop only.</summary>
    public long LastSeen { get; set; } = Environment.TickCount64;

    /// <summary>A send to it failed: the loop forgets it.</summary>
    public bool Failed => _failed;

    /// <summary>Sends what waits in the queue (the loop's retry); true when nothing is left.</summary>
    public bool Retry()
    {
        lock (WriteLock)
        {
            if (IsClosed || _failed)
            {
                _retrying = false;
                return true;
            }

            _retrying = !Drain();
            return !_retrying;
        }
    }

    protected override bool Send(ReadOnlySpan<byte> frame)
    {
        if (_failed)
        {
            return false;
        }

        if (Queue.Count == 0)
        {
            int sent = SendOne(frame);
            if (sent == 1)
            {
                Counters.Out(frame.Length);
                return true;
            }

            if (sent == 0)
            {
                return false;
            }
        }

        if (!Queue.TryEnqueue(frame))
        {
            return false;
        }

        Counters.Out(frame.Length);
        if (!_retrying)
        {
            _retrying = true;
            _loop.Retry(this);
        }

        return true;
    }

    /// <summary>Sends queued frames until the queue is empty (true) or the receiver is full (false).</summary>
    private bool Drain()
    {
        while (Queue.Count != 0)
        {
            ReadOnlySpan<byte> frame = Queue.PeekFrame(out int entry);
            int sent = SendOne(frame);
            if (sent < 0)
            {
                return false;
            }

            if (sent == 0)
            {
                // The peer failed: the loop forgets it, and the rest goes with it.
                return true;
            }

            Queue.Advance(entry);
        }

        return true;
    }

    /// <summary>1 sent, 0 lost (the peer failed), -1 the receiver is full.</summary>
    private int SendOne(ReadOnlySpan<byte> frame)
    {
        int result = ((QemuDgramEndpoint)Endpoint).Socket.SendTo(frame, _address);
        if (result >= 0)
        {
            return 1;
        }

        if (result == -53)
        {
            return -1;
        }

        _failed = true;
        ((QemuDgramEndpoint)Endpoint).Counters.CountSendFailed();
        _loop.Wake();
        return 0;
    }
}
