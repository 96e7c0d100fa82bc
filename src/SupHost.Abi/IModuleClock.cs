namespace SupHost.Abi;

/// <summary>
/// Time for modules: the daemon's GIP clock, the same clients read from the GIP page (TSC
/// extrapolated from the daemon's last (TSC, CLOCK_MONOTONIC) pair, never going backwards).
/// </summary>
public interface IModuleClock
{
    /// <summary>Monotonic nanoseconds on CLOCK_MONOTONIC's scale, without a system call where the TSC is usable.</summary>
    ulong NanoTime { get; }

    /// <summary>The raw time-stamp counter (0 where there is none).</summary>
    ulong Tsc { get; }

    /// <summary>True when <see cref="NanoTime"/> comes from the TSC; false when it reads CLOCK_MONOTONIC.</summary>
    bool UsesTsc { get; }
}
