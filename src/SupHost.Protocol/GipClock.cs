using System.Buffers.Binary;
using System.Diagnostics;

namespace SupHost.Protocol;

/// <summary>
/// Nanosecond time from the GIP and the TSC, without a system call (RTTimeNanoTS over the GIP).
/// A read takes CPU 0's entry under its transaction id (odd while the daemon writes it; a read that
/// sees it odd or changed is retried), reads the TSC, and extrapolates from the entry's
/// (TSC, CLOCK_MONOTONIC) pair with its nanoseconds-per-tick factor. The result never goes
/// backwards across the threads that share this clock: it is published with a compare-and-swap,
/// and a thread that computes less than what was published returns that instead.
/// Where the TSC is not usable (mode asynchronous or invalid, no rdtsc) it reads CLOCK_MONOTONIC
/// and says why in <see cref="FallbackReason"/>; a stale entry (the daemon stopped updating for a
/// while) falls back for that read. Thread-safe. The page must stay mapped while any thread reads.
/// </summary>
public sealed unsafe class GipClock
{
    private static readonly bool s_stopwatchIsNanoseconds = Stopwatch.Frequency == 1_000_000_000;

    private readonly byte* _page;
    private readonly byte* _cpu0;
    private readonly delegate* unmanaged[SuppressGCTransition]<ulong> _readTsc;
    private readonly bool _usesTsc;
    private long _last;
    private long _tornReads;
    private long _staleReads;
    private volatile bool _closed;

    /// <summary>A clock over a mapped GIP of <paramref name="length"/> bytes; <paramref name="readTsc"/> null when there is no TSC.</summary>
    /// <exception cref="ArgumentException">The page is too small, or its magic or major version is not this reader's.</exception>
    internal GipClock(byte* page, long length, delegate* unmanaged[SuppressGCTransition]<ulong> readTsc)
    {
        var header = new ReadOnlySpan<byte>(page, (int)Math.Min(length, GipLayout.HeaderSize));
        if (length < GipLayout.HeaderSize + GipLayout.CpuEntrySize)
        {
            throw new ArgumentException($"a GIP of {length} bytes is smaller than its header and one CPU", nameof(length));
        }

        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(header[GipLayout.MagicOffset..]);
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(header[GipLayout.VersionOffset..]);
        if (magic != GipLayout.Magic || version >> 16 != GipLayout.Version >> 16)
        {
            throw new ArgumentException($"not a GIP this reader knows: magic 0x{magic:x8}, version 0x{version:x8} (expected 0x{GipLayout.Magic:x8}, major {GipLayout.Version >> 16})", nameof(page));
        }

        _page = page;
        _cpu0 = page + GipLayout.HeaderSize;
        _readTsc = readTsc;
        Length = length;
        Mode = (GipMode)BinaryPrimitives.ReadUInt32LittleEndian(header[GipLayout.ModeOffset..]);
        FallbackReason = (Mode, readTsc == null) switch
        {
            (_, true) => "this process cannot read the TSC (not x86-64, or no executable memory for the rdtsc stub)",
            (GipMode.AsyncTsc, _) => "the daemon found the TSC not synchronised between CPUs, or not trusted by the kernel (mode AsyncTsc)",
            (GipMode.Invalid, _) => "the daemon found no usable TSC (mode Invalid)",
            _ => null,
        };
        _usesTsc = FallbackReason is null;
    }

    /// <summary>The mode the daemon published.</summary>
    public GipMode Mode { get; }

    /// <summary>The mapping's length in bytes.</summary>
    public long Length { get; }

    /// <summary>True when reads come from the GIP and the TSC; false when they come from CLOCK_MONOTONIC.</summary>
    public bool UsesTsc => _usesTsc && !_closed;

    /// <summary>Why the clock reads CLOCK_MONOTONIC instead of the TSC; null when it uses the TSC.</summary>
    public string? FallbackReason => _closed ? "the GIP mapping was disposed" : field;

    /// <summary>TSC ticks per second as the daemon calibrated them.</summary>
    public ulong TscHz => Volatile.Read(ref *(ulong*)(_page + GipLayout.TscHzOffset));

    /// <summary>Reads retried because the daemon was writing the entry.</summary>
    public long TornReads => Interlocked.Read(ref _tornReads);

    /// <summary>Reads that found the entry stale (not updated for longer than its limit) and used CLOCK_MONOTONIC.</summary>
    public long StaleReads => Interlocked.Read(ref _staleReads);

    /// <summary>Nanoseconds, on CLOCK_MONOTONIC's scale; never less than a value this clock returned before, on any thread.</summary>
    public ulong NanoTime
    {
        get
        {
            ulong now = _usesTsc && !_closed ? ReadGip() : MonotonicNanoseconds();
            long candidate = (long)now;
            long previous = Volatile.Read(ref _last);
            while (candidate > previous)
            {
                long seen = Interlocked.CompareExchange(ref _last, candidate, previous);
                if (seen == previous)
                {
                    return now;
                }

                previous = seen;
            }

            // Another thread published a later time (or this one read a CPU slightly behind): do not go back.
            return (ulong)previous;
        }
    }

    /// <summary>The raw TSC (0 without one).</summary>
    public ulong ReadTsc() => _readTsc == null ? 0 : _readTsc();

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
        for (int i = 0; i < cpus && GipLayout.HeaderSize + ((i + 1) * GipLayout.CpuEntrySize) <= Length; i++)
        {
            ReadOnlySpan<byte> e = page.Slice(GipLayout.HeaderSize + (i * GipLayout.CpuEntrySize), GipLayout.CpuEntrySize);
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

    private ulong ReadGip()
    {
        while (true)
        {
            uint transaction = Volatile.Read(ref *(uint*)(_cpu0 + GipLayout.CpuTransactionOffset));
            ulong baseNs = Volatile.Read(ref *(ulong*)(_cpu0 + GipLayout.CpuNanoTsOffset));
            ulong baseTsc = Volatile.Read(ref *(ulong*)(_cpu0 + GipLayout.CpuTscOffset));
            ulong nsPerTick = Volatile.Read(ref *(ulong*)(_cpu0 + GipLayout.CpuNsPerTickOffset));
            ulong maxDelta = Volatile.Read(ref *(ulong*)(_cpu0 + GipLayout.CpuMaxDeltaTscOffset));
            ulong tsc = _readTsc();
            if ((transaction & 1) != 0 || Volatile.Read(ref *(uint*)(_cpu0 + GipLayout.CpuTransactionOffset)) != transaction)
            {
                Interlocked.Increment(ref _tornReads);
                continue;
            }

            ulong delta = tsc - baseTsc;
            if ((long)delta < 0)
            {
                // A TSC read a hair before the daemon's (another CPU, or out of order): no time passed.
                delta = 0;
            }
            else if (delta > maxDelta)
            {
                Interlocked.Increment(ref _staleReads);
                return MonotonicNanoseconds();
            }

            ulong high = Math.BigMul(delta, nsPerTick, out ulong low);
            return baseNs + ((high << 32) | (low >> 32));
        }
    }
}
