namespace SupHost.IntNet.Internal;

/// <summary>A port's counters: "in" is into the switch from the port, "out" from the switch to the port.</summary>
internal sealed class PortCounters
{
    private long _framesIn;
    private long _bytesIn;
    private long _framesOut;
    private long _bytesOut;
    private long _lost;
    private long _bad;

    public long FramesIn => Interlocked.Read(ref _framesIn);

    public long BytesIn => Interlocked.Read(ref _bytesIn);

    public long FramesOut => Interlocked.Read(ref _framesOut);

    public long BytesOut => Interlocked.Read(ref _bytesOut);

    public long Lost => Interlocked.Read(ref _lost);

    public long Bad => Interlocked.Read(ref _bad);

    public void In(int bytes)
    {
        Interlocked.Increment(ref _framesIn);
        Interlocked.Add(ref _bytesIn, bytes);
    }

    public void Out(int bytes)
    {
        Interlocked.Increment(ref _framesOut);
        Interlocked.Add(ref _bytesOut, bytes);
    }

    public void CountLost() => Interlocked.Increment(ref _lost);

    public long CountBad(long bad = 1) => Interlocked.Add(ref _bad, bad);
}
