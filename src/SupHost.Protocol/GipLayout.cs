namespace SupHost.Protocol;

/// <summary>
/// The global information page (GIP): offsets of its fields, little-endian. A 64-byte header, then
/// one 64-byte entry per possible CPU, the whole rounded up to 4 KiB pages. See docs/gip.md.
/// </summary>
public static class GipLayout
{
    /// <summary>The magic at offset 0 ("SGIP").</summary>
    public const uint Magic = 0x50494753;

    /// <summary>Layout version at offset 4: major in the high 16 bits; a reader refuses another major.</summary>
    public const uint Version = 0x00010000;

    /// <summary>u32 magic.</summary>
    public const int MagicOffset = 0;

    /// <summary>u32 layout version.</summary>
    public const int VersionOffset = 4;

    /// <summary>u32 <see cref="GipMode"/>.</summary>
    public const int ModeOffset = 8;

    /// <summary>u16 number of CPU entries.</summary>
    public const int CpuCountOffset = 12;

    /// <summary>u16 size of the GIP in pages.</summary>
    public const int PagesOffset = 14;

    /// <summary>u32 updates per second.</summary>
    public const int UpdateHzOffset = 16;

    /// <summary>u32 nanoseconds between updates.</summary>
    public const int UpdateIntervalNsOffset = 20;

    /// <summary>u64 TSC ticks per second, as calibrated against CLOCK_MONOTONIC.</summary>
    public const int TscHzOffset = 24;

    /// <summary>u64 CLOCK_MONOTONIC nanoseconds when the daemon made the GIP.</summary>
    public const int CreatedNsOffset = 32;

    /// <summary>u32 flags: bit 0 (<see cref="UpdaterRunningFlag"/>) while the daemon updates the page.</summary>
    public const int FlagsOffset = 40;

    /// <summary>u32 the number of sessions that map the GIP.</summary>
    public const int UsersOffset = 44;

    /// <summary>u64 updates since the daemon started.</summary>
    public const int UpdatesOffset = 48;

    /// <summary>Set in the flags while the updater runs (some session maps the GIP).</summary>
    public const uint UpdaterRunningFlag = 1;

    /// <summary>Header size; CPU entries start here.</summary>
    public const int HeaderSize = 64;

    /// <summary>Size of one CPU entry.</summary>
    public const int CpuEntrySize = 64;

    /// <summary>Within a CPU entry: u32 transaction id, odd while the daemon writes the entry.</summary>
    public const int CpuTransactionOffset = 0;

    /// <summary>Within a CPU entry: u32 TSC ticks between the last two updates (saturated).</summary>
    public const int CpuUpdateIntervalTscOffset = 4;

    /// <summary>Within a CPU entry: u64 CLOCK_MONOTONIC nanoseconds at the last update.</summary>
    public const int CpuNanoTsOffset = 8;

    /// <summary>Within a CPU entry: u64 the TSC at the last update (taken together with the nanoseconds).</summary>
    public const int CpuTscOffset = 16;

    /// <summary>Within a CPU entry: u64 nanoseconds per TSC tick, fixed point with 32 fraction bits.</summary>
    public const int CpuNsPerTickOffset = 24;

    /// <summary>Within a CPU entry: i64 this CPU's TSC minus CPU 0's (<see cref="DeltaNotMeasured"/>: unknown).</summary>
    public const int CpuTscDeltaOffset = 32;

    /// <summary>Within a CPU entry: u64 TSC ticks after the last update beyond which the entry is stale.</summary>
    public const int CpuMaxDeltaTscOffset = 40;

    /// <summary>Within a CPU entry: u32 update errors (a transaction found odd).</summary>
    public const int CpuErrorsOffset = 48;

    /// <summary>Within a CPU entry: u32 state: 0 invalid, 1 absent, 2 offline, 3 online.</summary>
    public const int CpuStateOffset = 52;

    /// <summary>Within a CPU entry: u32 the CPU's number.</summary>
    public const int CpuIdOffset = 56;

    /// <summary>The TSC delta of a CPU that could not be measured.</summary>
    public const long DeltaNotMeasured = long.MaxValue;

    /// <summary>CPU state: its TSC delta could not be measured (not schedulable by the daemon).</summary>
    public const uint CpuOffline = 2;

    /// <summary>CPU state: online.</summary>
    public const uint CpuOnline = 3;

    /// <summary>The GIP's size for <paramref name="cpus"/> CPU entries: whole pages.</summary>
    public static int SizeFor(int cpus) =>
        (HeaderSize + (cpus * CpuEntrySize) + ProtocolConstants.PageSize - 1) / ProtocolConstants.PageSize * ProtocolConstants.PageSize;
}
