namespace SupHost.Protocol;

/// <summary>One CPU entry of the GIP.</summary>
public sealed record GipCpuInfo
{
    /// <summary>The CPU's number.</summary>
    public required uint Cpu { get; init; }

    /// <summary>online, offline, absent or invalid.</summary>
    public required string State { get; init; }

    /// <summary>The transaction id (even when the entry is consistent).</summary>
    public required uint TransactionId { get; init; }

    /// <summary>The clock's nanoseconds at the entry's TSC (where the last update started it).</summary>
    public required ulong NanoTs { get; init; }

    /// <summary>The TSC the entry starts at (read by the last update).</summary>
    public required ulong Tsc { get; init; }

    /// <summary>TSC ticks between the last two updates.</summary>
    public required uint UpdateIntervalTsc { get; init; }

    /// <summary>This CPU's TSC minus CPU 0's, in ticks; null when not measured.</summary>
    public long? TscDelta { get; init; }

    /// <summary>Update errors.</summary>
    public required uint Errors { get; init; }

    /// <summary>CLOCK_MONOTONIC minus the clock at the last update, before that update's correction, in nanoseconds.</summary>
    public long ErrorNs { get; init; }

    /// <summary>Steps forward of this entry (an error too large to slew).</summary>
    public uint Steps { get; init; }

    /// <summary>Updates of this entry.</summary>
    public uint Updates { get; init; }

    /// <summary>Updates that found this entry stale and started it at CLOCK_MONOTONIC, later than its formula.</summary>
    public uint CatchUps { get; init; }
}
