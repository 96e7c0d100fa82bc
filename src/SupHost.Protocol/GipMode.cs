namespace SupHost.Protocol;

/// <summary>How the TSC behaves on this machine, as the daemon found it (SUPGIPMODE).</summary>
public enum GipMode : uint
{
    /// <summary>No usable TSC (not x86-64, or the GIP is not set up): readers use CLOCK_MONOTONIC.</summary>
    Invalid = 0,

    /// <summary>The TSCs of all CPUs tick together at a constant rate but may stop in deep sleep states; readers use CPU 0's entry.</summary>
    SyncTsc = 1,

    /// <summary>The TSCs differ between CPUs, or the kernel does not trust them: readers use CLOCK_MONOTONIC.</summary>
    AsyncTsc = 2,

    /// <summary>Constant-rate, non-stop TSC, the same on every CPU: readers use CPU 0's entry.</summary>
    InvariantTsc = 3,
}
