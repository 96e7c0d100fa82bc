namespace SupHost.Protocol;

/// <summary>The reply of <see cref="SupFunction.QueryStatus"/>.</summary>
public sealed record StatusInfo
{
    /// <summary>Interface version, "major.minor".</summary>
    public required string Version { get; init; }

    /// <summary>The daemon build's version.</summary>
    public required string DaemonVersion { get; init; }

    /// <summary>The daemon's process id.</summary>
    public required int Pid { get; init; }

    /// <summary>When the daemon started (UTC).</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Seconds since start.</summary>
    public required double UptimeSeconds { get; init; }

    /// <summary>The run directory holding the sockets.</summary>
    public required string RunDirectory { get; init; }

    /// <summary>Largest request datagram accepted.</summary>
    public required int MaxRequestSize { get; init; }

    /// <summary>Sessions now open.</summary>
    public required int Sessions { get; init; }

    /// <summary>Sessions opened since start.</summary>
    public required long SessionsOpened { get; init; }

    /// <summary>Connections refused since start (session limits, descriptors exhausted, stopping).</summary>
    public long SessionsRefused { get; init; }

    /// <summary>
    /// Module calls still running past the grace (<c>Supd:CancelGraceSeconds</c>) after their
    /// cancellation (the client hung up, or the daemon was stopping), since start.
    /// </summary>
    public long CallsIgnoringCancellation { get; init; }

    /// <summary>Live objects by type name.</summary>
    public required IReadOnlyDictionary<string, int> ObjectsByType { get; init; }

    /// <summary>Objects registered since start.</summary>
    public required long ObjectsCreated { get; init; }

    /// <summary>Objects whose destructor has run since start.</summary>
    public required long ObjectsDestroyed { get; init; }

    /// <summary>Descriptors sessions make the daemon hold now (shared-memory allocations and events).</summary>
    public long DescriptorsHeld { get; init; }

    /// <summary>The most descriptors all sessions together may make the daemon hold (from RLIMIT_NOFILE, less a reserve).</summary>
    public long DescriptorBudget { get; init; }

    /// <summary>
    /// Descriptors clients sent with module calls that no module took, closed by the daemon after
    /// the call, since it started (protocol 1.1).
    /// </summary>
    public long DescriptorsUnclaimed { get; init; }

    /// <summary>Times the daemon gave memory back after a burst of sessions ended (garbage collector compacted, C heap trimmed).</summary>
    public long FootprintSettles { get; init; }
    /// <summary>Shared-memory pages sessions hold now (freed allocations a module still leases included).</summary>
    public long PagesHeld { get; init; }

    /// <summary>Of those, the pages locked in RAM.</summary>
    public long LockedPages { get; init; }

    /// <summary>Shared-memory allocations (one daemon mapping each) held now.</summary>
    public long AllocationsHeld { get; init; }

    /// <summary>The most allocations all sessions together may hold (MaxAllocationsTotal, or less when vm.max_map_count leaves less).</summary>
    public long AllocationBudget { get; init; }

    /// <summary>Registered component factories.</summary>
    public required int Factories { get; init; }

    /// <summary>Modules open or loaded.</summary>
    public required int Modules { get; init; }

    /// <summary>Module load contexts unloaded since start.</summary>
    public required long ModulesUnloaded { get; init; }

    /// <summary>Of those, the ones the garbage collector has really collected.</summary>
    public required long ModulesCollected { get; init; }

    /// <summary>Module loading is locked down.</summary>
    public required bool LockedDown { get; init; }

    /// <summary>The daemon's managed heap after its last collection, in bytes.</summary>
    public required long ManagedHeapBytes { get; init; }

    /// <summary>The daemon's resident set, in bytes.</summary>
    public required long ResidentBytes { get; init; }

    /// <summary>The GIP's mode (<see cref="GipMode"/> name).</summary>
    public string? GipMode { get; init; }

    /// <summary>Why the GIP's mode is not InvariantTsc, when it is not (as the daemon found it).</summary>
    public string? GipModeReason { get; init; }

    /// <summary>Sessions that map the GIP.</summary>
    public int GipUsers { get; init; }

    /// <summary>Whether the daemon updates the GIP now (some session maps it).</summary>
    public bool GipUpdaterRunning { get; init; }

    /// <summary>GIP updates since the daemon started.</summary>
    public long GipUpdates { get; init; }
}
