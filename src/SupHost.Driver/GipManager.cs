using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using SupHost.Driver.Internal.Gip;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Driver;

/// <summary>
/// The global information page (SUPGLOBALINFOPAGE): a sealed memfd the daemon maps read-write and
/// sessions map read-only, holding per CPU an entry that turns a TSC into nanoseconds on
/// CLOCK_MONOTONIC's scale, under a transaction id. An updater thread refreshes it every interval
/// while at least one session maps it: each new entry starts where the previous one's formula is at
/// the new entry's TSC and corrects the drift from CLOCK_MONOTONIC by its rate (bounded slewing), so
/// the clock is a non-decreasing function of the TSC; an error too large to slew is a counted step
/// forward, never back. In the TSC modes only CPU 0's entry is updated (readers use it on every CPU);
/// in asynchronous mode each entry is updated from its own CPU. Modules read the same clock through
/// <see cref="Clock"/>. See docs/gip.md.
/// </summary>
public sealed unsafe class GipManager : IDisposable
{
    /// <summary>The largest rate correction, parts per million (the kernel's NTP limit, MAXFREQ).</summary>
    public const uint MaxSlewPpm = 500;

    /// <summary>An error (CLOCK_MONOTONIC ahead of the clock) beyond this is corrected by a step forward instead of slewing.</summary>
    public const long StepThresholdNanoseconds = 1_000_000;

    /// <summary>The updater thread's nice value.</summary>
    private const int UpdaterNice = -10;

    /// <summary>An entry older than this many seconds of TSC ticks is stale for readers.</summary>
    private const ulong StaleAfterSeconds = 1;

    private readonly ILogger _logger;
    private readonly bool _forceAsync;
    private readonly Lock _lock = new();
    private readonly Lock _updateLock = new();
    private readonly delegate* unmanaged[SuppressGCTransition]<ulong> _tsc;
    private readonly delegate* unmanaged[SuppressGCTransition]<uint*, ulong> _tscWithCpu;
    private SafeFd? _fd;
    private SafeFd? _readOnlyFd;
    private MappedMemory? _mapping;
    private byte* _page;
    private Thread? _updater;
    private ManualResetEventSlim? _stop;
    private EntryState[] _entries = [];
    private int _users;
    private long _updates;
    private uint _steps;

    internal GipManager(DriverOptions options, ILogger logger)
    {
        _logger = logger;
        _forceAsync = options.GipForceAsync;
        IntervalNanoseconds = (uint)options.GipUpdateIntervalMilliseconds * 1_000_000u;
        _tsc = Libc.OrderedTscReader();
        _tscWithCpu = Libc.OrderedTscWithCpuReader();
    }

    /// <summary>Nanoseconds between updates (10 ms, 100 Hz, as SUPDrv's default; <see cref="DriverOptions.GipUpdateIntervalMilliseconds"/>).</summary>
    public uint IntervalNanoseconds { get; }

    /// <summary>The mode found at <see cref="Start"/>.</summary>
    public GipMode Mode { get; private set; }

    /// <summary>Why the mode is not invariant, when it is not.</summary>
    public string? ModeReason { get; private set; }

    /// <summary>Sessions that map the GIP.</summary>
    public int Users => Volatile.Read(ref _users);

    /// <summary>Updates since the start.</summary>
    public long Updates => Interlocked.Read(ref _updates);

    /// <summary>True while the updater thread runs.</summary>
    public bool UpdaterRunning => Volatile.Read(ref _updater) is not null;

    /// <summary>The clock over the daemon's mapping, for modules.</summary>
    public GipClock Clock { get; private set; } = null!;

    /// <summary>The GIP's size in bytes.</summary>
    public long Length => _mapping?.Length ?? 0;

    private bool PerCpu => Mode == GipMode.AsyncTsc;

    /// <summary>
    /// Finds the mode, measures the CPUs' TSC deltas and the TSC rate (about 20 ms), makes the page
    /// and writes its first entries, then seals it against writes by anyone but this mapping.
    /// </summary>
    internal void Start()
    {
        (GipMode mode, string? reason) = TscProbe.DetectMode(_forceAsync);
        List<int> cpus = TscProbe.PossibleCpus();
        var deltas = new long?[cpus.Count];
        if (mode is GipMode.InvariantTsc or GipMode.SyncTsc)
        {
            for (int i = 0; i < cpus.Count; i++)
            {
                deltas[i] = TscProbe.MeasureDelta(cpus[i]);
            }

            (mode, reason) = JudgeDeltas(mode, reason, cpus, deltas);
        }

        Mode = mode;
        ModeReason = reason;
        int length = GipLayout.SizeFor(cpus.Count);
        _fd = Libc.CreateSharedMemory("suphost-gip", length, sealSize: false);
        _mapping = Libc.Map(_fd, length, Libc.PROT_READ | Libc.PROT_WRITE);
        Libc.SealWrites(_fd);
        _readOnlyFd = Libc.ReopenReadOnly(_fd);
        _page = (byte*)_mapping.DangerousGetHandle();
        _entries = [.. cpus.Select((cpu, i) => new EntryState(i, cpu, _page + GipLayout.EntriesOffset + (i * GipLayout.CpuEntrySize)))];

        Span<byte> header = new(_page, GipLayout.HeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(header[GipLayout.VersionOffset..], GipLayout.Version);
        BinaryPrimitives.WriteUInt32LittleEndian(header[GipLayout.ModeOffset..], (uint)mode);
        BinaryPrimitives.WriteUInt16LittleEndian(header[GipLayout.CpuCountOffset..], (ushort)cpus.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(header[GipLayout.PagesOffset..], (ushort)(length / ProtocolConstants.PageSize));
        BinaryPrimitives.WriteUInt32LittleEndian(header[GipLayout.UpdateHzOffset..], 1_000_000_000 / IntervalNanoseconds);
        BinaryPrimitives.WriteUInt32LittleEndian(header[GipLayout.UpdateIntervalNsOffset..], IntervalNanoseconds);
        BinaryPrimitives.WriteUInt32LittleEndian(header[GipLayout.MaxSlewPpmOffset..], MaxSlewPpm);
        Span<ushort> table = new(_page + GipLayout.CpuTableOffset, GipLayout.CpuTableLength);
        table.Fill(GipLayout.NoEntry);
        for (int i = 0; i < cpus.Count; i++)
        {
            Span<byte> entry = new(_entries[i].Entry, GipLayout.CpuEntrySize);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[GipLayout.CpuTransactionOffset..], 2);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[GipLayout.CpuIdOffset..], (uint)cpus[i]);
            BinaryPrimitives.WriteInt64LittleEndian(entry[GipLayout.CpuTscDeltaOffset..], deltas[i] ?? GipLayout.DeltaNotMeasured);
        }

        // The first pair of every entry that is used, then the rate over 20 ms (asynchronous mode:
        // each CPU's from that CPU, on a thread of its own so that no caller's affinity changes).
        bool[] online = RunPinned(Calibrate);
        for (int i = 0; i < cpus.Count; i++)
        {
            bool measured = PerCpu ? online[i] : (i == 0 || deltas[i] is not null || mode is not (GipMode.InvariantTsc or GipMode.SyncTsc));
            _entries[i].Online = measured;
            BinaryPrimitives.WriteUInt32LittleEndian(new Span<byte>(_entries[i].Entry + GipLayout.CpuStateOffset, 4), measured ? GipLayout.CpuOnline : GipLayout.CpuOffline);
            if (cpus[i] < GipLayout.CpuTableLength && (measured || !PerCpu))
            {
                table[cpus[i]] = (ushort)i;
            }
        }

        BinaryPrimitives.WriteUInt64LittleEndian(header[GipLayout.CreatedNsOffset..], _entries[0].BaseNs);
        BinaryPrimitives.WriteUInt64LittleEndian(header[GipLayout.TscHzOffset..], (ulong)_entries[0].Hz);

        // Written last: a reader that finds the magic finds a complete page.
        Volatile.Write(ref *(uint*)(_page + GipLayout.MagicOffset), GipLayout.Magic);
        Clock = new GipClock(_page, length, Libc.TscReader(), Libc.TscThenLoadReader(), Libc.TscThenLoadWithoutCpuReader(), Libc.GipEntryReader(), _tscWithCpu != null);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            string deltaList = string.Join(", ", deltas.Select((d, i) => $"cpu{cpus[i]} {(d is null ? "-" : d.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))}"));
            string modeName = mode.ToString();
            GipLog.Ready(_logger, modeName, (long)_entries[0].Hz, cpus.Count, deltaList, reason ?? "TSC usable");
        }
    }

    /// <summary>Maps the GIP for <paramref name="session"/> (once; repeated calls count once) and returns the read-only descriptor to send.</summary>
    internal SafeFd Map(Session session)
    {
        lock (_lock)
        {
            if (!session.GipMapped)
            {
                session.GipMapped = true;
                if (_users++ == 0)
                {
                    StartUpdater();
                }

                WriteUsers();
            }

            return _readOnlyFd!;
        }
    }

    /// <summary>Drops <paramref name="session"/>'s mapping, if it has one; the last one stops the updater.</summary>
    internal bool Unmap(Session session)
    {
        Thread? stopped = null;
        lock (_lock)
        {
            if (!session.GipMapped)
            {
                return false;
            }

            session.GipMapped = false;
            if (--_users == 0)
            {
                stopped = StopUpdater();
            }

            WriteUsers();
        }

        stopped?.Join();
        return true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Thread? stopped;
        lock (_lock)
        {
            stopped = StopUpdater();
        }

        stopped?.Join();
        Clock?.Close();
        _mapping?.Dispose();
        _readOnlyFd?.Dispose();
        _fd?.Dispose();
    }

    private static (GipMode, string?) JudgeDeltas(GipMode mode, string? reason, List<int> cpus, long?[] deltas)
    {
        // The reader uses CPU 0's entry whatever CPU it runs on: that is only right when the CPUs'
        // TSCs agree. A delta beyond ~1 µs of ticks (at 2.6 GHz) would show as error; then each CPU
        // gets its own entry (asynchronous mode).
        const long Tolerance = 2600;
        for (int i = 0; i < cpus.Count; i++)
        {
            if (deltas[i] is long delta && Math.Abs(delta) > Tolerance)
            {
                return (GipMode.AsyncTsc, $"cpu{cpus[i]}'s TSC is {delta} ticks from cpu0's");
            }
        }

        return (mode, reason);
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a new thread and waits for it: the thread may pin itself to
    /// each CPU in turn without changing the caller's affinity.
    /// </summary>
    private static T RunPinned<T>(Func<T> work)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = work();
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or NativeException)
            {
                failure = e;
            }
        })
        { IsBackground = true, Name = "gip-calibrate" };
        thread.Start();
        thread.Join();
        return failure is null ? result : throw new InvalidOperationException("the GIP calibration failed", failure);
    }

    /// <summary>The entries to update: CPU 0's in the TSC modes, every online CPU's in asynchronous mode.</summary>
    private IEnumerable<EntryState> Updated() => PerCpu ? _entries.Where(e => e.Online) : _entries.Take(1);

    /// <summary>Each used entry's first (TSC, ns) pair and a first rate over 20 ms; later updates refine the rate over the whole time since. Which CPUs could be run on.</summary>
    private bool[] Calibrate()
    {
        bool[] online = new bool[_entries.Length];
        IEnumerable<EntryState> used = PerCpu ? _entries : _entries.Take(1);
        if (_tsc == null)
        {
            ulong now = Libc.MonotonicNanoseconds();
            foreach (EntryState e in _entries)
            {
                e.BaseNs = now;
                WriteEntry(e, 0, now, 0, 0, 0, now, 0);
            }

            return online;
        }

        foreach (EntryState e in used)
        {
            if (Pin(e) && SamplePair(e) is (ulong tsc, ulong ns))
            {
                online[e.Index] = true;
                (e.BaseTsc, e.BaseNs) = (tsc, ns);
            }
        }

        Thread.Sleep(20);
        foreach (EntryState e in used.Where(e => online[e.Index]))
        {
            (ulong tsc, ulong ns) = (0, 0);
            while (ns < e.BaseNs + 20_000_000)
            {
                if (!Pin(e) || SamplePair(e) is not (ulong t, ulong n))
                {
                    online[e.Index] = false;
                    break;
                }

                (tsc, ns) = (t, n);
                if (ns < e.BaseNs + 20_000_000)
                {
                    Thread.Sleep(1);
                }
            }

            if (online[e.Index])
            {
                e.Hz = (tsc - e.BaseTsc) * 1e9 / (ns - e.BaseNs);
                ulong nominal = NsPerTick(e.Hz);

                // The entry starts at this pair, at the nominal rate.
                WriteEntry(e, tsc, ns, nominal, 0, nominal, ns, 0);
                e.LastTsc = tsc;
            }
        }

        if (!PerCpu)
        {
            online[0] = true;
        }

        return online;
    }

    /// <summary>In asynchronous mode, moves the calling thread to <paramref name="e"/>'s CPU; true when it is there.</summary>
    private bool Pin(EntryState e) => !PerCpu || (Libc.PinThread(e.Cpu) == Errno.None && Libc.CurrentCpu() == e.Cpu);

    /// <summary>
    /// A TSC and CLOCK_MONOTONIC read together: the TSC is the midpoint of two reads around the
    /// clock's, the tightest of five. In asynchronous mode, only reads on the entry's CPU count;
    /// null when none was.
    /// </summary>
    private (ulong Tsc, ulong Ns)? SamplePair(EntryState e)
    {
        ulong bestSpan = ulong.MaxValue;
        (ulong, ulong)? best = null;
        for (int i = 0; i < 5; i++)
        {
            uint cpuBefore = 0;
            uint cpuAfter = 0;
            ulong before = _tscWithCpu != null ? _tscWithCpu(&cpuBefore) : _tsc();
            ulong ns = Libc.MonotonicNanoseconds();
            ulong after = _tscWithCpu != null ? _tscWithCpu(&cpuAfter) : _tsc();
            if (PerCpu && _tscWithCpu != null && ((cpuBefore & 0xfff) != e.Cpu || (cpuAfter & 0xfff) != e.Cpu))
            {
                continue;
            }

            if (after - before < bestSpan)
            {
                bestSpan = after - before;
                best = (before + ((after - before) / 2), ns);
            }
        }

        return best;
    }

    private static ulong NsPerTick(double hz) => (ulong)(1e9 * 4294967296.0 / hz);

    /// <summary>Serialised: an updater that is being stopped may still finish an update while a new one starts.</summary>
    private void Update(EntryState e)
    {
        lock (_updateLock)
        {
            UpdateEntry(e);
        }
    }

    /// <summary>
    /// One update of <paramref name="e"/>, on its CPU in asynchronous mode. The pair and the
    /// correction are computed before the transaction; inside it, the TSC the new entry starts at
    /// is read (ordered, after the id went odd), and the entry starts at the old formula's time for
    /// it. A reader that used the old entry read its TSC before the id went odd, so before that TSC:
    /// its time is at most the new entry's start, and the function of the TSC never decreases.
    /// </summary>
    private void UpdateEntry(EntryState e)
    {
        if (_tsc == null)
        {
            ulong now = Libc.MonotonicNanoseconds();
            WriteEntry(e, 0, now, 0, 0, 0, now, 0);
            CountUpdate(e, steps: 0);
            return;
        }

        // Measure: a fresh pair, the rate over the whole time since the start (the longer the
        // baseline, the better), and the error of the current formula at the pair's TSC.
        if (!Pin(e) || SamplePair(e) is not (ulong sampleTsc, ulong sampleNs))
        {
            CountError(e);
            return;
        }

        if (sampleNs > e.BaseNs + 100_000_000 && sampleTsc > e.BaseTsc)
        {
            e.Hz = (sampleTsc - e.BaseTsc) * 1e9 / (sampleNs - e.BaseNs);
        }

        ulong nominal = NsPerTick(e.Hz);
        ulong slewTicks = (ulong)(e.Hz * IntervalNanoseconds / 1e9);
        ulong formulaAtSample = e.At(sampleTsc);
        long error = (long)(sampleNs - formulaAtSample);
        bool stale = sampleTsc - e.Tsc > e.MaxDelta;

        // Correct: slew the rate so that the error is gone after one interval, by at most
        // MaxSlewPpm; a clock behind by more than the step threshold (the daemon was stopped, a
        // suspend) steps forward to CLOCK_MONOTONIC. A clock ahead never steps back: it slews.
        double slew = Math.Clamp(error / (double)IntervalNanoseconds, -(MaxSlewPpm / 1e6), MaxSlewPpm / 1e6);
        ulong nsPerTick = (ulong)(nominal * (1 + slew));
        bool step = error > StepThresholdNanoseconds;

        // Publish.
        ref uint transaction = ref *(uint*)(e.Entry + GipLayout.CpuTransactionOffset);
        if ((Interlocked.Increment(ref transaction) & 1) == 0)
        {
            // Someone else's write was in flight: not possible with one updater, but never publish a torn entry.
            Interlocked.Increment(ref transaction);
            CountError(e);
            return;
        }

        uint cpu = (uint)e.Cpu;
        ulong tsc = _tscWithCpu != null ? _tscWithCpu(&cpu) : _tsc();
        if (PerCpu && (cpu & 0xfff) != e.Cpu)
        {
            // Moved off the entry's CPU since the pair (its affinity changed): leave the entry as it was.
            Interlocked.Increment(ref transaction);
            CountError(e);
            return;
        }

        ulong start = e.At(tsc);
        ulong monotonicAtTsc = sampleNs + GipClock.Extrapolate(tsc - sampleTsc, nominal, 0, nominal);
        bool catchUp = false;
        if (step)
        {
            start = Math.Max(start, monotonicAtTsc);
        }
        else if (stale && monotonicAtTsc > start)
        {
            // Readers of a stale entry may have returned CLOCK_MONOTONIC: start no earlier than it
            // (the formula went on at the nominal rate, so this is the rate's error over the pause).
            start = monotonicAtTsc;
            catchUp = true;
        }

        WriteHot(e, tsc, start, nsPerTick, slewTicks, nominal);
        Interlocked.Increment(ref transaction);

        *(ulong*)(e.Entry + GipLayout.CpuMonotonicNsOffset) = sampleNs;
        *(long*)(e.Entry + GipLayout.CpuErrorNsOffset) = error;
        *(uint*)(e.Entry + GipLayout.CpuUpdateIntervalTscOffset) = (uint)Math.Min(tsc - e.LastTsc, uint.MaxValue);
        e.LastTsc = tsc;
        if (e.Index == 0)
        {
            Volatile.Write(ref *(ulong*)(_page + GipLayout.TscHzOffset), (ulong)e.Hz);
        }

        if (catchUp)
        {
            *(uint*)(e.Entry + GipLayout.CpuCatchUpsOffset) += 1;
        }

        CountUpdate(e, step ? 1u : 0u);
    }

    /// <summary>Writes a whole entry outside a transaction (before the page is published or while nobody reads it).</summary>
    private void WriteEntry(EntryState e, ulong tsc, ulong ns, ulong nsPerTick, ulong slewTicks, ulong nominal, ulong monotonicNs, long error)
    {
        ref uint transaction = ref *(uint*)(e.Entry + GipLayout.CpuTransactionOffset);
        Interlocked.Increment(ref transaction);
        WriteHot(e, tsc, ns, nsPerTick, slewTicks, nominal);
        Interlocked.Increment(ref transaction);
        *(ulong*)(e.Entry + GipLayout.CpuMonotonicNsOffset) = monotonicNs;
        *(long*)(e.Entry + GipLayout.CpuErrorNsOffset) = error;
    }

    private void WriteHot(EntryState e, ulong tsc, ulong ns, ulong nsPerTick, ulong slewTicks, ulong nominal)
    {
        e.Tsc = tsc;
        e.Ns = ns;
        e.NsPerTick = nsPerTick;
        e.SlewTicks = slewTicks;
        e.Nominal = nominal;
        e.MaxDelta = (ulong)(e.Hz * StaleAfterSeconds);
        Volatile.Write(ref *(ulong*)(e.Entry + GipLayout.CpuNanoTsOffset), ns);
        Volatile.Write(ref *(ulong*)(e.Entry + GipLayout.CpuTscOffset), tsc);
        Volatile.Write(ref *(ulong*)(e.Entry + GipLayout.CpuNsPerTickOffset), nsPerTick);
        Volatile.Write(ref *(ulong*)(e.Entry + GipLayout.CpuSlewTicksOffset), slewTicks);
        Volatile.Write(ref *(ulong*)(e.Entry + GipLayout.CpuNominalNsPerTickOffset), nominal);
        Volatile.Write(ref *(ulong*)(e.Entry + GipLayout.CpuMaxDeltaTscOffset), e.MaxDelta);
    }

    private void CountUpdate(EntryState e, uint steps)
    {
        *(uint*)(e.Entry + GipLayout.CpuUpdatesOffset) += 1;
        if (steps != 0)
        {
            *(uint*)(e.Entry + GipLayout.CpuStepsOffset) += steps;
            _steps += steps;
            Volatile.Write(ref *(uint*)(_page + GipLayout.StepsOffset), _steps);
            GipLog.Step(_logger, e.Cpu, *(long*)(e.Entry + GipLayout.CpuErrorNsOffset));
        }

        Volatile.Write(ref *(ulong*)(_page + GipLayout.UpdatesOffset), (ulong)Interlocked.Increment(ref _updates));
    }

    private static void CountError(EntryState e) => Interlocked.Increment(ref *(uint*)(e.Entry + GipLayout.CpuErrorsOffset));

    private void StartUpdater()
    {
        // A restarted updater moves the transaction ids to the next multiple of 0x1000 (as SUPDrv),
        // so a reader can tell a restart from an update. CPU 0's entry in the TSC modes is updated
        // at once; the per-CPU entries by the updater, on their CPUs.
        lock (_updateLock)
        {
            foreach (EntryState e in _entries)
            {
                ref uint transaction = ref *(uint*)(e.Entry + GipLayout.CpuTransactionOffset);
                Volatile.Write(ref transaction, (transaction + 0x1000) & ~0xfffu);
            }

            if (!PerCpu)
            {
                UpdateEntry(_entries[0]);
            }
        }

        var stop = new ManualResetEventSlim();
        var thread = new Thread(() => Run(stop)) { IsBackground = true, Name = "gip-updater" };
        _stop = stop;
        Volatile.Write(ref _updater, thread);
        Volatile.Write(ref *(uint*)(_page + GipLayout.FlagsOffset), GipLayout.UpdaterRunningFlag);
        thread.Start();
    }

    private Thread? StopUpdater()
    {
        Thread? thread = _updater;
        if (thread is null)
        {
            return null;
        }

        _stop!.Set();
        Volatile.Write(ref _updater, null);
        if (_page != null)
        {
            Volatile.Write(ref *(uint*)(_page + GipLayout.FlagsOffset), 0);
        }

        return thread;
    }

    private void Run(ManualResetEventSlim stop)
    {
        // The update is a few microseconds every interval, but a late one lets the clock run on an
        // old rate: ahead of the daemon's other threads (and the machine's other work) for the CPU,
        // as SUPDrv's timer is. Best effort: without CAP_SYS_NICE it keeps the default.
        _ = Libc.SetThreadNice(UpdaterNice);
        if (PerCpu)
        {
            foreach (EntryState e in Updated())
            {
                Update(e);
            }
        }

        long interval = IntervalNanoseconds;
        ulong next = Libc.MonotonicNanoseconds() + (ulong)interval;
        while (true)
        {
            ulong now = Libc.MonotonicNanoseconds();
            int waitMs = now >= next ? 0 : (int)Math.Ceiling((next - now) / 1e6);
            if (stop.Wait(waitMs))
            {
                stop.Dispose();
                return;
            }

            if (Libc.MonotonicNanoseconds() < next)
            {
                continue;
            }

            foreach (EntryState e in Updated())
            {
                Update(e);
            }

            next += (ulong)interval;
            ulong after = Libc.MonotonicNanoseconds();
            if (after > next)
            {
                // Late by more than an interval (the daemon was not scheduled): skip ahead, do not catch up.
                next = after + (ulong)interval;
            }
        }
    }

    private void WriteUsers() => Volatile.Write(ref *(uint*)(_page + GipLayout.UsersOffset), (uint)_users);

    /// <summary>The daemon's copy of one entry (what it last published) and its calibration baseline.</summary>
    private sealed class EntryState(int index, int cpu, byte* entry)
    {
        public int Index { get; } = index;

        public int Cpu { get; } = cpu;

        public byte* Entry { get; } = entry;

        public bool Online { get; set; }

        public ulong BaseTsc { get; set; }

        public ulong BaseNs { get; set; }

        public double Hz { get; set; }

        public ulong LastTsc { get; set; }

        public ulong Tsc { get; set; }

        public ulong Ns { get; set; }

        public ulong NsPerTick { get; set; }

        public ulong SlewTicks { get; set; }

        public ulong Nominal { get; set; }

        public ulong MaxDelta { get; set; }

        /// <summary>The published formula at <paramref name="tsc"/>, exactly as a reader computes it.</summary>
        public ulong At(ulong tsc)
        {
            ulong delta = tsc - Tsc;
            return (long)delta <= 0 ? Ns : Ns + GipClock.Extrapolate(delta, NsPerTick, SlewTicks, Nominal);
        }
    }
}
