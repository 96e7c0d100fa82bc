namespace SupHost.IntNet.Internal;

/// <summary>A network's counters: frames switched (to at least one destination), dropped (to none), too short, bad, capture records lost.</summary>
internal sealed class NetworkCounters
{
    private long _switched;
    private long _dropped;
    private long _tooShort;
    private long _bad;
    private long _captureLost;

    public long Switched => Interlocked.Read(ref _switched);

    public long Dropped => Interlocked.Read(ref _dropped);

    public long TooShort => Interlocked.Read(ref _tooShort);

    public long Bad => Interlocked.Read(ref _bad);

    public long CaptureLost => Interlocked.Read(ref _captureLost);

    public void CountSwitched() => Interlocked.Increment(ref _switched);

    public void CountDropped() => Interlocked.Increment(ref _dropped);

    public void CountTooShort() => Interlocked.Increment(ref _tooShort);

    public void CountBad(long bad = 1) => Interlocked.Add(ref _bad, bad);

    public void CountCaptureLost() => Interlocked.Increment(ref _captureLost);
}
