using System.Buffers.Binary;
using System.Diagnostics;

namespace SupHost.Protocol;

/// <summary>
/// Nanosecond time from the GIP and the TSC, without a system call and without a write to shared
/// memory (RTTimeNanoTS over the GIP). A read takes its entry under the transaction id (odd while
/// the daemon writes it; a read that sees it odd or changed is retried), reads the TSC in program
/// order (rdtscp, then the id's second load through an address computed from the TSC), and extrapolates from the entry's (TSC, nanoseconds) start with its
/// slewed rate for the slew span and its nominal rate after. The daemon starts every entry where
/// the previous one's formula was at its TSC and corrects the drift by the rate, so the time is a
/// non-decreasing function of the TSC: reads on two threads are ordered like their TSCs.
/// In the TSC modes every read uses CPU 0's entry; in asynchronous mode the entry of the CPU the
/// read runs on (rdtscp's processor id through the page's CPU table), retried when the thread
/// was not on that CPU. Where no TSC is usable (mode invalid, no TSC stub, asynchronous mode
/// without rdtscp) it reads CLOCK_MONOTONIC and says why in <see cref="FallbackReason"/>; a stale
/// entry (the daemon stopped updating for a second) gives the later of its formula and CLOCK_MONOTONIC.
/// Thread-safe. The page must stay mapped while any thread reads.
/// </summary>
public sealed unsafe class GipClock
{
    private static readonly bool s_stopwatchIsNanoseconds = Stopwatch.Frequency == 1_000_000_000;

    // The CPU this thread's last read ran on: where a read in asynchronous mode looks first. Per
    // thread, so it costs no shared cache line; a wrong guess only costs a retry.
    [ThreadStatic]
    private static uint t_cpu;

    private readonly byte* _page;
    private readonly byte* _entries;
    private readonly ushort* _cpuTable;
    private readonly int _cpuCount;
    private readonly delegate* unmanaged[SuppressGCTransition]<ulong> _rawTsc;
    private readonly delegate* unmanaged[SuppressGCTransition]<uint*, uint*, uint*, ulong> _tscThenLoad;
    private readonly delegate* unmanaged[SuppressGCTransition]<uint*, uint*, uint*, ulong> _tscThenLoadWithoutCpu;
    private readonly delegate* unmanaged[SuppressGCTransition]<byte*, ulong> _entryRead;
    private readonly bool _usesTsc;
    private readonly bool _perCpu;
    private readonly Counters _counters = new();
    private volatile bool _closed;

    /// <summary>
    /// A clock over a mapped GIP of <paramref name="length"/> bytes. <paramref name="rawTsc"/> reads
    /// the TSC unordered; <paramref name="tscThenLoad"/> reads it after every earlier instruction,
    /// then loads a u32 through an address computed from it (so after it), with the processor id
    /// when <paramref name="tscHasCpu"/> (rdtscp); <paramref name="tscThenLoadWithoutCpu"/> does the
    /// same without the processor id, in the cheapest ordering the CPU has (the reads of one shared
    /// entry use it; null: <paramref name="tscThenLoad"/> serves); <paramref name="entryRead"/> is the
    /// whole read of one entry in one call (0 when the full path must decide; null: the full path
    /// always); each null when this process has none.
    /// </summary>
    /// <exception cref="ArgumentException">The page is not a GIP this reader knows (<see cref="GipLayout.Refusal"/>).</exception>
    internal GipClock(
        byte* page,
        long length,
        delegate* unmanaged[SuppressGCTransition]<ulong> rawTsc,
        delegate* unmanaged[SuppressGCTransition]<uint*, uint*, uint*, ulong> tscThenLoad,
        delegate* unmanaged[SuppressGCTransition]<uint*, uint*, uint*, ulong> tscThenLoadWithoutCpu,
        delegate* unmanaged[SuppressGCTransition]<byte*, ulong> entryRead,
        bool tscHasCpu)
    {
        ReadOnlySpan<byte> whole = new(page, (int)Math.Min(length, int.MaxValue));
        if (GipLayout.Refusal(whole) is string refusal)
        {
            throw new ArgumentException(refusal, nameof(page));
        }

        _page = page;
        _entries = page + GipLayout.EntriesOffset;
        _cpuTable = (ushort*)(page + GipLayout.CpuTableOffset);
        _cpuCount = BinaryPrimitives.ReadUInt16LittleEndian(whole[GipLayout.CpuCountOffset..]);
        _rawTsc = rawTsc;
        _tscThenLoad = tscThenLoad;
        _tscThenLoadWithoutCpu = tscThenLoadWithoutCpu == null ? tscThenLoad : tscThenLoadWithoutCpu;
        _entryRead = entryRead;
        Length = length;
        Mode = (GipMode)BinaryPrimitives.ReadUInt32LittleEndian(whole[GipLayout.ModeOffset..]);
        FallbackReason = Mode switch
        {
            _ when tscThenLoad == null => "this process cannot read the TSC (not x86-64, or no executable memory for the TSC stub)",
            GipMode.AsyncTsc when !tscHasCpu => "mode AsyncTsc needs the processor id of rdtscp, which this CPU does not have",
            GipMode.Invalid => "the daemon found no usable TSC (mode Invalid)",
            GipMode.InvariantTsc or GipMode.SyncTsc or GipMode.AsyncTsc => null,
            _ => $"the daemon published an unknown mode {(uint)Mode}",
        };
        _usesTsc = FallbackReason is null;
        _perCpu = Mode == GipMode.AsyncTsc;
    }

    /// <summary>The mode the daemon published.</summary>
    public GipMode Mode { get; }

    /// <summary>The mapping's length in bytes.</summary>
    public long Length { get; }

    /// <summary>True when reads come from the GIP and the TSC; false when they come from CLOCK_MONOTONIC.</summary>
    public bool UsesTsc => _usesTsc && !_closed;

    /// <summary>True when each read uses the entry of the CPU it runs on (asynchronous mode).</summary>
    public bool PerCpu => _perCpu && UsesTsc;

    /// <summary>Why the clock reads CLOCK_MONOTONIC instead of the TSC; null when it uses the TSC.</summary>
    public string? FallbackReason => _closed ? "the GIP mapping was disposed" : field;

    /// <summary>TSC ticks per second as the daemon calibrated them.</summary>
    public ulong TscHz => Volatile.Read(ref *(ulong*)(_page + GipLayout.TscHzOffset));

    /// <summary>Reads retried because the daemon was writing the entry.</summary>
    public long TornReads => Interlocked.Read(ref _counters.TornReads);

    /// <summary>Reads that found the entry stale (not updated for longer than its limit).</summary>
    public long StaleReads => Interlocked.Read(ref _counters.StaleReads);

    /// <summary>Reads in asynchronous mode retried because the thread was not on the CPU whose entry it read (it migrated, or it had not read on that CPU before).</summary>
    public long CpuRetries => Interlocked.Read(ref _counters.CpuRetries);

    /// <summary>Reads in asynchronous mode that computed a time before one this process had already returned, and returned that one instead (each CPU's entry has its own small error).</summary>
    public long GuardedReads => Interlocked.Read(ref _counters.GuardedReads);

    /// <summary>Reads in asynchronous mode on a CPU without an entry, which used CLOCK_MONOTONIC.</summary>
    public long UnknownCpuReads => Interlocked.Read(ref _counters.UnknownCpuReads);

    /// <summary>Nanoseconds, on CLOCK_MONOTONIC's scale, non-decreasing across the threads that read this page.</summary>
    public ulong NanoTime
    {
        get
        {
            if (!_usesTsc || _closed)
            {
                return MonotonicNanoseconds();
            }

            return _perCpu ? ReadPerCpu() : ReadEntry(_entries);
        }
    }

    /// <summary>The raw TSC, unordered (0 without one).</summary>
    public ulong ReadTsc() => _rawTsc == null ? 0 : _rawTsc();

    /// <summary>The TSC read in program order as a clock read does it, with its ordered load (0 without one): the floor of a read.</summary>
    public ulong ReadOrderedTsc()
    {
        if (_tscThenLoad == null)
        {
            return 0;
        }

        uint loaded;
        uint cpu;
        // The stub always loads a u32 after the TSC: the magic, which nobody writes after the page is
        // made. The form this clock's reads use: with the processor id in asynchronous mode.
        return (_perCpu ? _tscThenLoad : _tscThenLoadWithoutCpu)((uint*)(_page + GipLayout.MagicOffset), &loaded, &cpu);
    }

    /// <summary>
    /// The time an entry gives <paramref name="delta"/> ticks after its TSC: the slewed rate for the
    /// first <paramref name="slewTicks"/> ticks, the nominal rate after; both 32.32 fixed point, so the
    /// result never decreases as the delta grows. The daemon continues an entry with this same function.
    /// </summary>
    internal static ulong Extrapolate(ulong delta, ulong nsPerTick, ulong slewTicks, ulong nominalNsPerTick)
    {
        if (delta <= slewTicks)
        {
            return Scale(delta, nsPerTick);
        }

        return Scale(slewTicks, nsPerTick) + Scale(delta - slewTicks, nominalNsPerTick);
    }

    private static ulong Scale(ulong ticks, ulong factor)
    {
        ulong high = Math.BigMul(ticks, factor, out ulong low);
        return (high << 32) | (low >> 32);
    }

    /// <summary>CLOCK_MONOTONIC in nanoseconds, the fallback and the scale the GIP follows.</summary>
    public static ulong MonotonicNanoseconds()
    {
        long ticks = Stopwatch.GetTimestamp();
        return s_stopwatchIsNanoseconds ? (ulong)ticks : (ulong)(ticks * (1e9 / Stopwatch.Frequency));
    }

    /// <summary>The page's header and CPU entries as they are now (for display; not under the transaction).</summary>
    public GipInfo Snapshot()
    {
        ReadOnlySpan<byte> page = new(_page, (int)Length);
        int cpus = BinaryPrimitives.ReadUInt16LittleEndian(page[GipLayout.CpuCountOffset..]);
        var entries = new List<GipCpuInfo>(cpus);
        for (int i = 0; i < cpus && GipLayout.EntriesOffset + ((i + 1) * GipLayout.CpuEntrySize) <= Length; i++)
        {
            ReadOnlySpan<byte> e = page.Slice(GipLayout.EntriesOffset + (i * GipLayout.CpuEntrySize), GipLayout.CpuEntrySize);
            long delta = BinaryPrimitives.ReadInt64LittleEndian(e[GipLayout.CpuTscDeltaOffset..]);
            entries.Add(new GipCpuInfo
            {
                Cpu = BinaryPrimitives.ReadUInt32LittleEndian(e[GipLayout.CpuIdOffset..]),
                State = BinaryPrimitives.ReadUInt32LittleEndian(e[GipLayout.CpuStateOffset..]) switch { 1 => "absent", 2 => "offline", 3 => "online", _ => "invalid" },
                TransactionId = BinaryPrimitives.ReadUInt32LittleEndian(e[GipLayout.CpuTransactionOffset..]),
                NanoTs = BinaryPrimitives.ReadUInt64LittleEndian(e[GipLayout.CpuNanoTsOffset..]),
                Tsc = BinaryPrimitives.ReadUInt64LittleEndian(e[GipLayout.CpuTscOffset..]),
                UpdateIntervalTsc = BinaryPrimitives.ReadUInt32LittleEndian(e[GipLayout.CpuUpdateIntervalTscOffset..]),
                TscDelta = delta == GipLayout.DeltaNotMeasured ? null : delta,
                Errors = BinaryPrimitives.ReadUInt32LittleEndian(e[GipLayout.CpuErrorsOffset..]),
                ErrorNs = BinaryPrimitives.ReadInt64LittleEndian(e[GipLayout.CpuErrorNsOffset..]),
                Steps = BinaryPrimitives.ReadUInt32LittleEndian(e[GipLayout.CpuStepsOffset..]),
                Updates = BinaryPrimitives.ReadUInt32LittleEndian(e[GipLayout.CpuUpdatesOffset..]),
                CatchUps = BinaryPrimitives.ReadUInt32LittleEndian(e[GipLayout.CpuCatchUpsOffset..]),
            });
        }

        uint version = BinaryPrimitives.ReadUInt32LittleEndian(page[GipLayout.VersionOffset..]);
        return new GipInfo
        {
            Magic = $"0x{BinaryPrimitives.ReadUInt32LittleEndian(page):x8}",
            Version = $"{version >> 16}.{version & 0xffff}",
            Mode = Mode.ToString(),
            Pages = BinaryPrimitives.ReadUInt16LittleEndian(page[GipLayout.PagesOffset..]),
            UpdateHz = BinaryPrimitives.ReadUInt32LittleEndian(page[GipLayout.UpdateHzOffset..]),
            UpdateIntervalNs = BinaryPrimitives.ReadUInt32LittleEndian(page[GipLayout.UpdateIntervalNsOffset..]),
            TscHz = BinaryPrimitives.ReadUInt64LittleEndian(page[GipLayout.TscHzOffset..]),
            UpdaterRunning = (BinaryPrimitives.ReadUInt32LittleEndian(page[GipLayout.FlagsOffset..]) & GipLayout.UpdaterRunningFlag) != 0,
            Users = BinaryPrimitives.ReadUInt32LittleEndian(page[GipLayout.UsersOffset..]),
            Updates = BinaryPrimitives.ReadUInt64LittleEndian(page[GipLayout.UpdatesOffset..]),
            Steps = BinaryPrimitives.ReadUInt32LittleEndian(page[GipLayout.StepsOffset..]),
            MaxSlewPpm = BinaryPrimitives.ReadUInt32LittleEndian(page[GipLayout.MaxSlewPpmOffset..]),
            UsesTsc = UsesTsc,
            FallbackReason = FallbackReason,
            Cpus = entries,
        };
    }

    /// <summary>
    /// Measures this clock against CLOCK_MONOTONIC for <paramref name="duration"/>: a sample every
    /// <paramref name="spacing"/> reads CLOCK_MONOTONIC, this clock, CLOCK_MONOTONIC, and counts
    /// this clock minus the midpoint of the other two; samples where the two CLOCK_MONOTONIC reads
    /// are more than 2 µs apart (the thread was interrupted) are retaken. Busy-waits between samples.
    /// </summary>
    public GipDeviation MeasureDeviation(TimeSpan duration, TimeSpan spacing)
    {
        var deviations = new List<double>();
        var brackets = new List<double>();
        ulong start = MonotonicNanoseconds();
        ulong end = start + (ulong)duration.TotalNanoseconds;
        ulong step = Math.Max(1, (ulong)spacing.TotalNanoseconds);
        ulong next = start;
        while (true)
        {
            ulong before = MonotonicNanoseconds();
            if (before >= end && deviations.Count > 0)
            {
                break;
            }

            if (before < next)
            {
                continue;
            }

            ulong gip = NanoTime;
            ulong after = MonotonicNanoseconds();
            if (after - before > 2_000)
            {
                continue;
            }

            deviations.Add(gip - ((before + after) / 2.0));
            brackets.Add(after - before);
            next = before + step;
        }

        double[] magnitudes = deviations.Select(Math.Abs).Order().ToArray();
        brackets.Sort();
        return new GipDeviation
        {
            Samples = deviations.Count,
            DurationMs = (MonotonicNanoseconds() - start) / 1e6,
            MedianAbsNs = magnitudes[magnitudes.Length / 2],
            MaxAbsNs = magnitudes[^1],
            MeanNs = deviations.Average(),
            MedianBracketNs = brackets[brackets.Count / 2],
            MaxBracketNs = brackets[^1],
        };
    }

    /// <summary>After this, reads come from CLOCK_MONOTONIC: the owner calls it before unmapping the page.</summary>
    internal void Close() => _closed = true;

    private ulong ReadEntry(byte* entry)
    {
        // The whole read in one call: the time, or 0 (torn: retried below) or 1 (a TSC at or before
        // the entry's, a stale entry: decided below).
        var spin = default(SpinWait);
        if (_entryRead != null)
        {
            ulong ns = _entryRead(entry);
            if (ns > 1)
            {
                return ns;
            }

            if (ns == 0)
            {
                Interlocked.Increment(ref _counters.TornReads);
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }

        while (true)
        {
            uint transaction = Volatile.Read(ref *(uint*)(entry + GipLayout.CpuTransactionOffset));
            ulong baseNs = Volatile.Read(ref *(ulong*)(entry + GipLayout.CpuNanoTsOffset));
            ulong baseTsc = Volatile.Read(ref *(ulong*)(entry + GipLayout.CpuTscOffset));
            ulong nsPerTick = Volatile.Read(ref *(ulong*)(entry + GipLayout.CpuNsPerTickOffset));
            ulong slewTicks = Volatile.Read(ref *(ulong*)(entry + GipLayout.CpuSlewTicksOffset));
            ulong nominal = Volatile.Read(ref *(ulong*)(entry + GipLayout.CpuNominalNsPerTickOffset));
            ulong maxDelta = Volatile.Read(ref *(ulong*)(entry + GipLayout.CpuMaxDeltaTscOffset));

            // The TSC after the loads above; the id's second load after the TSC.
            uint again;
            uint cpu;
            ulong tsc = _tscThenLoadWithoutCpu((uint*)(entry + GipLayout.CpuTransactionOffset), &again, &cpu);
            if ((transaction & 1) != 0 || again != transaction)
            {
                Interlocked.Increment(ref _counters.TornReads);
                spin.SpinOnce(sleep1Threshold: -1);
                continue;
            }

            return Compute(tsc, baseNs, baseTsc, nsPerTick, slewTicks, nominal, maxDelta);
        }
    }

    private ulong ReadPerCpu()
    {
        var spin = default(SpinWait);
        uint cpu = t_cpu;
        while (true)
        {
            ushort index = cpu < GipLayout.CpuTableLength ? _cpuTable[cpu] : GipLayout.NoEntry;
            if (index >= _cpuCount)
            {
                // No entry for this CPU (the daemon could not run there, or a number beyond the
                // table): learn where this thread runs now, and if that has none either, use the kernel.
                uint now;
                uint ignored;
                _ = _tscThenLoad((uint*)(_page + GipLayout.MagicOffset), &ignored, &now);
                now &= 0xfff;
                if (now != cpu)
                {
                    cpu = now;
                    t_cpu = now;
                    continue;
                }

                Interlocked.Increment(ref _counters.UnknownCpuReads);
                return AfterLast(MonotonicNanoseconds());
            }

            byte* entry = _entries + (index * GipLayout.CpuEntrySize);
            uint transaction = Volatile.Read(ref *(uint*)(entry + GipLayout.CpuTransactionOffset));
            ulong baseNs = Volatile.Read(ref *(ulong*)(entry + GipLayout.CpuNanoTsOffset));
            ulong baseTsc = Volatile.Read(ref *(ulong*)(entry + GipLayout.CpuTscOffset));
            ulong nsPerTick = Volatile.Read(ref *(ulong*)(entry + GipLayout.CpuNsPerTickOffset));
            ulong slewTicks = Volatile.Read(ref *(ulong*)(entry + GipLayout.CpuSlewTicksOffset));
            ulong nominal = Volatile.Read(ref *(ulong*)(entry + GipLayout.CpuNominalNsPerTickOffset));
            ulong maxDelta = Volatile.Read(ref *(ulong*)(entry + GipLayout.CpuMaxDeltaTscOffset));
            uint again;
            uint on;
            ulong tsc = _tscThenLoad((uint*)(entry + GipLayout.CpuTransactionOffset), &again, &on);
            if ((transaction & 1) != 0 || again != transaction)
            {
                Interlocked.Increment(ref _counters.TornReads);
                spin.SpinOnce(sleep1Threshold: -1);
                continue;
            }

            on &= 0xfff;
            if (on != cpu)
            {
                // The TSC is another CPU's than the entry's: read again with that CPU's entry.
                Interlocked.Increment(ref _counters.CpuRetries);
                cpu = on;
                t_cpu = on;
                continue;
            }

            return AfterLast(Compute(tsc, baseNs, baseTsc, nsPerTick, slewTicks, nominal, maxDelta));
        }
    }

    /// <summary>
    /// Asynchronous mode's guard: each CPU's entry follows CLOCK_MONOTONIC on its own, within the
    /// error of that CPU's samples (tens to hundreds of nanoseconds on a loaded machine), so a read
    /// on one CPU may compute a time before a read that happened earlier on another. As SUPDrv's
    /// async mode does (IPRT's previous-value check), the clock keeps the latest time it returned in
    /// this process and never returns less (counted in <see cref="GuardedReads"/>). The one shared
    /// write per read is asynchronous mode's cost; the invariant mode's read has none.
    /// </summary>
    private ulong AfterLast(ulong ns)
    {
        ref long last = ref _counters.AsyncLast;
        long previous = Volatile.Read(ref last);
        while (true)
        {
            if ((long)ns <= previous)
            {
                if ((long)ns < previous)
                {
                    Interlocked.Increment(ref _counters.GuardedReads);
                }

                return (ulong)previous;
            }

            long seen = Interlocked.CompareExchange(ref last, (long)ns, previous);
            if (seen == previous)
            {
                return ns;
            }

            previous = seen;
        }
    }

    private ulong Compute(ulong tsc, ulong baseNs, ulong baseTsc, ulong nsPerTick, ulong slewTicks, ulong nominal, ulong maxDelta)
    {
        ulong delta = tsc - baseTsc;
        if ((long)delta <= 0)
        {
            // A TSC read before the daemon's for this entry: the entry's start is the time.
            return baseNs;
        }

        ulong ns = baseNs + Extrapolate(delta, nsPerTick, slewTicks, nominal);
        if (delta > maxDelta)
        {
            // The daemon stopped updating: the formula goes on at the nominal rate, and the kernel's
            // clock is taken when it is later (it never makes the result earlier than the formula's).
            Interlocked.Increment(ref _counters.StaleReads);
            return Math.Max(ns, MonotonicNanoseconds());
        }

        return ns;
    }

    /// <summary>The clock's counters, apart from the fields every read loads (a retry's write never touches their cache line).</summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit, Size = 192)]
    private sealed class Counters
    {
        [System.Runtime.InteropServices.FieldOffset(64)]
        public long TornReads;

        [System.Runtime.InteropServices.FieldOffset(72)]
        public long StaleReads;

        [System.Runtime.InteropServices.FieldOffset(80)]
        public long CpuRetries;

        [System.Runtime.InteropServices.FieldOffset(88)]
        public long UnknownCpuReads;

        [System.Runtime.InteropServices.FieldOffset(96)]
        public long GuardedReads;

        // Asynchronous mode's latest time returned, alone on its cache line.
        [System.Runtime.InteropServices.FieldOffset(128)]
        public long AsyncLast;
    }
}
