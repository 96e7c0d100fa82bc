using SupHost.Native;

namespace SupHost.Driver.Internal;

/// <summary>
/// Lets the daemon's memory settle after bursts of sessions: a while after the last session of a
/// burst ended (and not more than once per interval), the garbage collector is asked to compact
/// and give back what it can, and the C heap is trimmed. Without this the process keeps the peak
/// of every burst (GC regions it committed, malloc arenas of session threads) for its whole life.
/// </summary>
internal sealed class Footprint : IDisposable
{
    private static readonly TimeSpan s_quiet = TimeSpan.FromSeconds(2);
    private readonly Timer _timer;
    private long _settles;

    public Footprint() => _timer = new Timer(_ => Settle(), null, Timeout.Infinite, Timeout.Infinite);

    /// <summary>Times the daemon gave memory back.</summary>
    public long Settles => Interlocked.Read(ref _settles);

    /// <summary>A session ended: settle once no other has ended for a while (each call restarts the wait).</summary>
    public void SessionEnded() => _timer.Change(s_quiet, Timeout.InfiniteTimeSpan);

    public void Dispose() => _timer.Dispose();

    private void Settle()
    {
        // Aggressive: compacts every generation and decommits the free space of the GC's regions.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        Libc.TrimMalloc();
        Interlocked.Increment(ref _settles);
    }
}
