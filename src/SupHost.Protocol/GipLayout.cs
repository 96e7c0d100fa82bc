namespace SupHost.Protocol;

/// <summary>
/// The global information page (GIP), layout version 2.0: offsets of its fields, little-endian. A
/// 64-byte header, a table from CPU number to entry index, then one 128-byte entry per possible CPU
/// (what a read needs in its first cache line), the whole rounded up to 4 KiB pages. See docs/gip.md.
/// </summary>
public static class GipLayout
{
    /// <summary>The magic at offset 0 ("SGIP").</summary>
    public const uint Magic = 0x50494753;

    /// <summary>
    /// Layout version at offset 4: major in the high 16 bits, minor in the low. A reader refuses another
    /// major; a new minor only gives meaning to reserved bytes, so a reader of an older minor reads it right.
    /// </summary>
    public const uint Version = 0x00020000;

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

    /// <summary>u64 updates since the daemon started (all entries).</summary>
    public const int UpdatesOffset = 48;

    /// <summary>u32 steps forward, all entries: updates that found the clock too far behind CLOCK_MONOTONIC to slew.</summary>
    public const int StepsOffset = 56;

    /// <summary>u32 the largest slew, in parts per million of the rate, that an update may apply.</summary>
    public const int MaxSlewPpmOffset = 60;

    /// <summary>Set in the flags while the updater runs (some session maps the GIP).</summary>
    public const uint UpdaterRunningFlag = 1;

    /// <summary>Header size; the CPU table starts here.</summary>
    public const int HeaderSize = 64;

    /// <summary>The CPU table: u16 entry index per CPU number (rdtscp's processor id &amp; 0xfff), <see cref="NoEntry"/> for none.</summary>
    public const int CpuTableOffset = HeaderSize;

    /// <summary>CPU numbers the table covers (0 to 1023).</summary>
    public const int CpuTableLength = 1024;

    /// <summary>A CPU table slot of a CPU without an entry.</summary>
    public const ushort NoEntry = 0xffff;

    /// <summary>The first CPU entry (64-byte aligned).</summary>
    public const int EntriesOffset = CpuTableOffset + (CpuTableLength * 2);

    /// <summary>Size of one CPU entry: the line a read uses, then a line of statistics.</summary>
    public const int CpuEntrySize = 128;

    /// <summary>Within a CPU entry: u32 transaction id, odd while the daemon writes the entry.</summary>
    public const int CpuTransactionOffset = 0;

    /// <summary>Within a CPU entry: u64 the clock's nanoseconds at <see cref="CpuTscOffset"/> (on CLOCK_MONOTONIC's scale).</summary>
    public const int CpuNanoTsOffset = 8;

    /// <summary>Within a CPU entry: u64 the TSC the entry starts at.</summary>
    public const int CpuTscOffset = 16;

    /// <summary>Within a CPU entry: u64 nanoseconds per TSC tick for the slew span, fixed point with 32 fraction bits.</summary>
    public const int CpuNsPerTickOffset = 24;

    /// <summary>Within a CPU entry: u64 ticks after the entry's TSC for which the slewed rate applies; the nominal rate after.</summary>
    public const int CpuSlewTicksOffset = 32;

    /// <summary>Within a CPU entry: u64 the nominal nanoseconds per TSC tick (the calibrated rate), 32 fraction bits.</summary>
    public const int CpuNominalNsPerTickOffset = 40;

    /// <summary>Within a CPU entry: u64 TSC ticks after the entry's TSC beyond which the entry is stale.</summary>
    public const int CpuMaxDeltaTscOffset = 48;

    /// <summary>Within a CPU entry: i64 this CPU's TSC minus CPU 0's (<see cref="DeltaNotMeasured"/>: unknown).</summary>
    public const int CpuTscDeltaOffset = 64;

    /// <summary>Within a CPU entry: u64 CLOCK_MONOTONIC nanoseconds at the last update.</summary>
    public const int CpuMonotonicNsOffset = 72;

    /// <summary>Within a CPU entry: i64 CLOCK_MONOTONIC minus the clock at the last update, before its correction (ns).</summary>
    public const int CpuErrorNsOffset = 80;

    /// <summary>Within a CPU entry: u32 TSC ticks between the last two updates (saturated).</summary>
    public const int CpuUpdateIntervalTscOffset = 88;

    /// <summary>Within a CPU entry: u32 update errors (a transaction found odd, or the updater not on the entry's CPU).</summary>
    public const int CpuErrorsOffset = 92;

    /// <summary>Within a CPU entry: u32 steps forward of this entry.</summary>
    public const int CpuStepsOffset = 96;

    /// <summary>Within a CPU entry: u32 state: 0 invalid, 1 absent, 2 offline, 3 online.</summary>
    public const int CpuStateOffset = 100;

    /// <summary>Within a CPU entry: u32 the CPU's number.</summary>
    public const int CpuIdOffset = 104;

    /// <summary>Within a CPU entry: u32 updates of this entry.</summary>
    public const int CpuUpdatesOffset = 108;

    /// <summary>Within a CPU entry: u32 updates of a stale entry that started it at CLOCK_MONOTONIC, later than its formula.</summary>
    public const int CpuCatchUpsOffset = 112;

    /// <summary>The TSC delta of a CPU that could not be measured.</summary>
    public const long DeltaNotMeasured = long.MaxValue;

    /// <summary>CPU state: its TSC delta could not be measured (not schedulable by the daemon).</summary>
    public const uint CpuOffline = 2;

    /// <summary>CPU state: online.</summary>
    public const uint CpuOnline = 3;

    /// <summary>The GIP's size for <paramref name="cpus"/> CPU entries: whole pages.</summary>
    public static int SizeFor(int cpus) =>
        (EntriesOffset + (cpus * CpuEntrySize) + ProtocolConstants.PageSize - 1) / ProtocolConstants.PageSize * ProtocolConstants.PageSize;

    /// <summary>
    /// Why a reader of this layout cannot use <paramref name="page"/> (a mapped GIP, or at least its
    /// header): too small, not a GIP, or another major version; null when it can.
    /// </summary>
    public static string? Refusal(ReadOnlySpan<byte> page)
    {
        if (page.Length < HeaderSize)
        {
            return $"a GIP of {page.Length} bytes is smaller than its {HeaderSize}-byte header";
        }

        uint magic = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(page[MagicOffset..]);
        uint version = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(page[VersionOffset..]);
        if (magic != Magic)
        {
            return $"not a GIP: magic 0x{magic:x8}, expected 0x{Magic:x8}";
        }

        if (version >> 16 != Version >> 16)
        {
            return $"GIP layout version {version >> 16}.{version & 0xffff} is not one this reader knows (it reads {Version >> 16}.x): the daemon and this library are of different releases";
        }

        int cpus = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(page[CpuCountOffset..]);
        if (cpus == 0 || page.Length < EntriesOffset + (cpus * CpuEntrySize))
        {
            return $"a GIP of {page.Length} bytes cannot hold its table and {cpus} CPU entries ({EntriesOffset + (cpus * CpuEntrySize)} bytes)";
        }

        return null;
    }
}
