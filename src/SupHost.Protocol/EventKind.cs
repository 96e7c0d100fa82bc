namespace SupHost.Protocol;

/// <summary>The two kinds of event semaphore (SUPSEMEVENT and SUPSEMEVENTMULTI).</summary>
public enum EventKind : uint
{
    /// <summary>
    /// Auto-reset: one wait consumes the signal. Signals do not count: two signals before a wait
    /// wake one waiter once.
    /// </summary>
    AutoReset = 0,

    /// <summary>Manual-reset ("multi"): stays signalled, waking every waiter, until reset.</summary>
    Multi = 1,
}
