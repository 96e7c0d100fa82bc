namespace SupHost.IntNet.Internal.Qemu;

/// <summary>What a QEMU endpoint counted over its life (its ports come and go; these stay): docs/networking.md, "QEMU guests".</summary>
internal sealed class QemuEndpointCounters
{
    private long _connections;
    private long _refused;
    private long _badLength;
    private long _truncated;
    private long _stalled;
    private long _expired;
    private long _sendFailed;
    private long _unnamed;

    /// <summary>Connections accepted or made, datagram peers learned.</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>Connections or peers refused over the limit (or when the network was full).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Connections closed for a length of 0 or over the limit; datagrams dropped for their size.</summary>
    public long BadLength => Interlocked.Read(ref _badLength);

    /// <summary>Connections that ended in the middle of a frame.</summary>
    public long Truncated => Interlocked.Read(ref _truncated);

    /// <summary>Connections closed because half a frame stood unfinished too long.</summary>
    public long Stalled => Interlocked.Read(ref _stalled);

    /// <summary>Datagram peers forgotten after the idle time.</summary>
    public long Expired => Interlocked.Read(ref _expired);

    /// <summary>Sends that failed (the peer's socket was gone): a datagram peer is forgotten.</summary>
    public long SendFailed => Interlocked.Read(ref _sendFailed);

    /// <summary>Datagrams from an unnamed socket, which cannot be answered: dropped.</summary>
    public long Unnamed => Interlocked.Read(ref _unnamed);

    public void CountConnection() => Interlocked.Increment(ref _connections);

    public void CountRefused() => Interlocked.Increment(ref _refused);

    public void CountBadLength() => Interlocked.Increment(ref _badLength);

    public void CountTruncated() => Interlocked.Increment(ref _truncated);

    public void CountStalled() => Interlocked.Increment(ref _stalled);

    public void CountExpired() => Interlocked.Increment(ref _expired);

    public void CountSendFailed() => Interlocked.Increment(ref _sendFailed);

    public void CountUnnamed() => Interlocked.Increment(ref _unnamed);
}
