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

    /// <summary>CLOCK_MONOTONIC nanoseconds at the last update.</summary>
    public required ulong NanoTs { get; init; }

    /// <summary>The TSC at the last update.</summary>
    public required ulong Tsc { get; init; }

    /// <summary>TSC ticks between the last two updates.</summary>
    public required uint UpdateIntervalTsc { get; init; }

    /// <summary>This CPU's TSC minus CPU 0's, in ticks; null when not measured.</summary>
    public long? TscDelta { get; init; }

    /// <summary>Update errors.</summary>
    public required uint Errors { get; init; }
}
