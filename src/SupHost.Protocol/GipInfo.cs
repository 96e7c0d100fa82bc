namespace SupHost.Protocol;

/// <summary>The GIP as <c>supctl gip</c> shows it.</summary>
public sealed record GipInfo
{
    /// <summary>The magic, in hex.</summary>
    public required string Magic { get; init; }

    /// <summary>Layout version, major.minor.</summary>
    public required string Version { get; init; }

    /// <summary>The <see cref="GipMode"/> name.</summary>
    public required string Mode { get; init; }

    /// <summary>Size in pages.</summary>
    public required int Pages { get; init; }

    /// <summary>Updates per second while the updater runs.</summary>
    public required uint UpdateHz { get; init; }

    /// <summary>Nanoseconds between updates.</summary>
    public required uint UpdateIntervalNs { get; init; }

    /// <summary>Calibrated TSC frequency.</summary>
    public required ulong TscHz { get; init; }

    /// <summary>Whether the daemon updates the page now (some session maps it).</summary>
    public required bool UpdaterRunning { get; init; }

    /// <summary>Sessions that map it.</summary>
    public required uint Users { get; init; }

    /// <summary>Updates since the daemon started.</summary>
    public required ulong Updates { get; init; }

    /// <summary>Steps forward, all entries: updates that found the clock too far behind CLOCK_MONOTONIC to slew.</summary>
    public uint Steps { get; init; }

    /// <summary>The largest rate correction an update applies, in parts per million.</summary>
    public uint MaxSlewPpm { get; init; }

    /// <summary>Why the daemon chose a mode other than InvariantTsc (from its status; not on the page).</summary>
    public string? ModeReason { get; init; }

    /// <summary>Whether this reader uses the TSC.</summary>
    public required bool UsesTsc { get; init; }

    /// <summary>Why not, when it does not.</summary>
    public string? FallbackReason { get; init; }

    /// <summary>The CPU entries.</summary>
    public required IReadOnlyList<GipCpuInfo> Cpus { get; init; }

    /// <summary>Deviation of the GIP clock from CLOCK_MONOTONIC as the reader measured it, when it did.</summary>
    public GipDeviation? Deviation { get; init; }
}
