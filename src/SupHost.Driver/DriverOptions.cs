using SupHost.Protocol;

namespace SupHost.Driver;

/// <summary>How the daemon runs: where its sockets live, who may use them, its limits.</summary>
public sealed class DriverOptions
{
    /// <summary>The directory holding the sockets and the lock file.</summary>
    public required string RunDirectory { get; init; }

    /// <summary>The group that may use the full endpoint (mode 0660); created when missing and running as root.</summary>
    public string SocketGroup { get; init; } = "suphost";

    /// <summary>Largest request datagram, header included.</summary>
    public int MaxRequestSize { get; init; } = ProtocolConstants.DefaultMaxRequestSize;

    /// <summary>Most sessions open at once, both endpoints together; further connections are refused with LimitReached.</summary>
    public int MaxSessions { get; init; } = 1024;

    /// <summary>
    /// Most sessions the restricted endpoint may hold; the rest of <see cref="MaxSessions"/> is kept
    /// for the full endpoint, so that anyone on the world-writable socket cannot lock members out.
    /// </summary>
    public int MaxRestrictedSessions { get; init; } = 768;

    /// <summary>Most sessions one uid may hold, both endpoints together.</summary>
    public int MaxSessionsPerUid { get; init; } = 256;

    /// <summary>A connection that has not completed the Cookie handshake this long after connecting is closed.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a cancelled module call (its client hung up, or the daemon is stopping) may keep
    /// running before it is logged and counted as ignoring cancellation; also how long the
    /// daemon's stop waits for all sessions together.
    /// </summary>
    public TimeSpan CancelGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Most objects one session may hold references to.</summary>
    public int MaxObjectsPerSession { get; init; } = 4096;

    /// <summary>Most factories one session may register.</summary>
    public int MaxFactoriesPerSession { get; init; } = 64;

    /// <summary>The largest <see cref="MaxPagesPerAllocation"/>: a module's view of an allocation is one Memory&lt;byte&gt;, whose length is an int.</summary>
    public const int LargestAllocation = int.MaxValue / ProtocolConstants.PageSize;

    /// <summary>Largest single allocation, in 4 KiB pages (512 MiB as PAGE_ALLOC_EX allows).</summary>
    public int MaxPagesPerAllocation { get; init; } = 131072;

    /// <summary>Most pages one session may hold.</summary>
    public long MaxPagesPerSession { get; init; } = 131072;

    /// <summary>Most pages all sessions of one uid together may hold: half the total, so that one user cannot take them all.</summary>
    public long MaxPagesPerUid { get; init; } = 262144;

    /// <summary>Most pages all sessions together may hold.</summary>
    public long MaxPagesTotal { get; init; } = 524288;

    /// <summary>Most pages locked in RAM at once, all sessions together.</summary>
    public long MaxLockedPages { get; init; } = 16384;

    /// <summary>Most pages one session may have locked in RAM.</summary>
    public long MaxLockedPagesPerSession { get; init; } = 8192;

    /// <summary>Most pages all sessions of one uid together may have locked in RAM: half the total.</summary>
    public long MaxLockedPagesPerUid { get; init; } = 8192;

    /// <summary>
    /// Most allocations all sessions together may hold. Each is one mapping in the daemon, so the
    /// daemon takes the smaller of this and what vm.max_map_count leaves once the mappings it has
    /// at start and <see cref="MappingReserve"/> are set aside (allocationBudget in the status).
    /// </summary>
    public long MaxAllocationsTotal { get; init; } = 32768;

    /// <summary>Mappings kept free under vm.max_map_count for the daemon itself (thread stacks, the heap, modules, the GIP).</summary>
    public int MappingReserve { get; init; } = 16384;

    /// <summary>
    /// Most descriptors one session may make the daemon hold (its shared-memory allocations and
    /// event semaphores, one each); the session's own connection is not counted here.
    /// </summary>
    public long MaxDescriptorsPerSession { get; init; } = 1024;

    /// <summary>Most descriptors all sessions of one uid together may make the daemon hold.</summary>
    public long MaxDescriptorsPerUid { get; init; } = 4096;

    /// <summary>
    /// Most descriptors one module may hold through its I/O (IModuleIo: handles, two per readiness
    /// set); they count in the daemon's descriptor budget too.
    /// </summary>
    public int MaxDescriptorsPerModule { get; init; } = 4096;

    /// <summary>
    /// Descriptors kept free for the daemon itself (accepting and refusing connections, loading
    /// modules, logging): the budget sessions share is RLIMIT_NOFILE less what is open at start,
    /// less one per possible session, less this reserve.
    /// </summary>
    public int DescriptorReserve { get; init; } = 256;

    /// <summary>Directories modules load from, searched in order; the daemon adds its own first.</summary>
    public IReadOnlyList<string> ModuleDirectories { get; init; } = [];

    /// <summary>Whether a full session may lock module loading down; when false the request is refused.</summary>
    public bool AllowLockDown { get; init; } = true;

    /// <summary>
    /// Modules the daemon opens, loads and pins as it starts, in order, before it accepts
    /// connections (Supd:StartModules); one that cannot be loaded stops the start. Empty by default.
    /// </summary>
    public IReadOnlyList<string> StartModules { get; init; } = [];

    /// <summary>
    /// What each module's <c>Settings.GetValue</c> answers (Supd:Modules:&lt;module name&gt;:&lt;key&gt;):
    /// by module name, the keys and values of its section; names and keys compared without regard to case.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ModuleSettings { get; init; } = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.OrdinalIgnoreCase);

    /// <summary>A module call that runs longer is logged and counted as slow.</summary>
    public TimeSpan SlowCallThreshold { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long an unloaded module's load context may take to be collected before it is reported stuck.</summary>
    public TimeSpan UnloadTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Publish the GIP in asynchronous mode whatever the TSC is like: one entry per CPU, updated from that CPU, and readers use the entry of the CPU they run on (SUPDrv's force-async parameter).</summary>
    public bool GipForceAsync { get; init; }

    /// <summary>Milliseconds between GIP updates (1 to 1000; 10, 100 Hz, as SUPDrv's default).</summary>
    public int GipUpdateIntervalMilliseconds { get; init; } = 10;

    /// <summary>Checks the values: the first problem, naming the value and its limits, or null when all are good.</summary>
    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(RunDirectory))
        {
            return "the run directory is empty";
        }

        if (MaxRequestSize is < ProtocolConstants.MinMaxRequestSize or > ProtocolConstants.MaxMaxRequestSize)
        {
            return $"the request size limit {MaxRequestSize} is outside {ProtocolConstants.MinMaxRequestSize}..{ProtocolConstants.MaxMaxRequestSize}";
        }

        if (MaxSessions < 1 || MaxObjectsPerSession < 1 || MaxFactoriesPerSession < 1)
        {
            return $"session, object and factory limits must be at least 1 (now {MaxSessions}, {MaxObjectsPerSession}, {MaxFactoriesPerSession})";
        }

        foreach (string name in StartModules)
        {
            if (ModuleName.Check(name) is string bad)
            {
                return $"start module '{name}': {bad}";
            }
        }

        if (StartModules.Distinct(StringComparer.Ordinal).Count() != StartModules.Count)
        {
            return $"start modules list a name twice: {string.Join(", ", StartModules)}";
        }

        if (MaxDescriptorsPerModule is < 2 or > 1048576)
        {
            return $"MaxDescriptorsPerModule must be 2 to 1048576 (now {MaxDescriptorsPerModule})";
        }

        if (MaxDescriptorsPerSession < 1 || MaxDescriptorsPerUid < 1 || DescriptorReserve < 16)
        {
            return $"descriptor limits must be at least 1 per session and per uid and the reserve at least 16 (now {MaxDescriptorsPerSession}, {MaxDescriptorsPerUid}, {DescriptorReserve})";
        }

        if (MaxPagesPerAllocation is < 1 or > LargestAllocation)
        {
            return $"the per-allocation page limit {MaxPagesPerAllocation} is outside 1..{LargestAllocation}";
        }

        if (MaxPagesPerSession < 1 || MaxPagesPerUid < 1 || MaxPagesTotal < 1 || MaxLockedPagesPerSession < 0 || MaxLockedPagesPerUid < 0 || MaxLockedPages < 0)
        {
            return $"page limits must be at least 1 and locked-page limits at least 0 (now {MaxPagesPerSession}, {MaxPagesPerUid}, {MaxPagesTotal} pages; {MaxLockedPagesPerSession}, {MaxLockedPagesPerUid}, {MaxLockedPages} locked)";
        }

        if (GipUpdateIntervalMilliseconds is < 1 or > 1000)
        {
            return $"the GIP update interval {GipUpdateIntervalMilliseconds} ms is outside 1..1000";
        }

        if (MaxAllocationsTotal < 1 || MappingReserve < 1024)
        {
            return $"the allocation limit must be at least 1 and the mapping reserve at least 1024 (now {MaxAllocationsTotal}, {MappingReserve})";
        }

        // Above MaxSessions these two change nothing (the total binds first); that is allowed, so
        // that lowering MaxSessions alone stays a valid configuration.
        if (MaxRestrictedSessions < 0 || MaxSessionsPerUid < 1)
        {
            return $"the restricted session limit {MaxRestrictedSessions} must be at least 0 and the per-uid session limit {MaxSessionsPerUid} at least 1";
        }

        if (HandshakeTimeout <= TimeSpan.Zero || HandshakeTimeout > TimeSpan.FromMinutes(10))
        {
            return $"the handshake timeout {HandshakeTimeout.TotalSeconds} s is outside (0, 600] s";
        }

        if (CancelGrace < TimeSpan.Zero || CancelGrace > TimeSpan.FromMinutes(10))
        {
            return $"the cancellation grace {CancelGrace.TotalSeconds} s is outside [0, 600] s";
        }

        return null;
    }
}
