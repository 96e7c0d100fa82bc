namespace SupHost.NetAdp.Internal;

/// <summary>An adapter's counters: "in" is from the TAP into the switch, "out" from the switch to the TAP.</summary>
internal sealed class AdapterCounters
{
    private long _framesIn;
    private long _bytesIn;
    private long _gsoIn;
    private long _framesOut;
    private long _bytesOut;
    private long _gsoOut;
    private long _lost;
    private long _bad;
    private long _unattached;

    public long FramesIn => Interlocked.Read(ref _framesIn);

    public long BytesIn => Interlocked.Read(ref _bytesIn);

    /// <summary>Of <see cref="FramesIn"/>, the GSO super-frames.</summary>
    public long GsoIn => Interlocked.Read(ref _gsoIn);

    public long FramesOut => Interlocked.Read(ref _framesOut);

    public long BytesOut => Interlocked.Read(ref _bytesOut);

    /// <summary>Of <see cref="FramesOut"/>, the GSO super-frames.</summary>
    public long GsoOut => Interlocked.Read(ref _gsoOut);

    /// <summary>Frames for the TAP it could not take (its queue full, or down): dropped.</summary>
    public long Lost => Interlocked.Read(ref _lost);

    /// <summary>Frames from the TAP whose virtio-net header or headers were wrong, and frames the switch refused.</summary>
    public long Bad => Interlocked.Read(ref _bad);

    /// <summary>Frames from the TAP while it was on no network (or an inactive trunk): dropped.</summary>
    public long Unattached => Interlocked.Read(ref _unattached);

    public void In(int bytes, bool gso)
    {
        Interlocked.Increment(ref _framesIn);
        Interlocked.Add(ref _bytesIn, bytes);
        if (gso)
        {
            Interlocked.Increment(ref _gsoIn);
        }
    }

    public void Out(int bytes, bool gso)
    {
        Interlocked.Increment(ref _framesOut);
        Interlocked.Add(ref _bytesOut, bytes);
        if (gso)
        {
            Interlocked.Increment(ref _gsoOut);
        }
    }

    public void CountLost() => Interlocked.Increment(ref _lost);

    public void CountBad() => Interlocked.Increment(ref _bad);

    public void CountUnattached() => Interlocked.Increment(ref _unattached);
}
