using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using SupHost.Driver.Internal.Gip;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Driver;

/// <summary>
/// The global information page (SUPGLOBALINFOPAGE): a sealed memfd the daemon maps read-write and
/// sessions map read-only, holding per CPU a (TSC, CLOCK_MONOTONIC) pair under a transaction id,
/// the TSC rate and the CPUs' TSC deltas. An updater thread refreshes it every
/// <see cref="IntervalNanoseconds"/> while at least one session maps it. Modules read the same
/// clock through <see cref="Clock"/>. See docs/gip.md.
/// </summary>
public sealed unsafe class GipManager : IDisposable
{
    /// <summary>Nanoseconds between updates (100 Hz, as SUPDrv's default).</summary>
    public const uint IntervalNanoseconds = 10_000_000;

    /// <summary>An entry older than this many seconds of TSC ticks is stale for readers.</summary>
    private const ulong StaleAfterSeconds = 1;

    private readonly ILogger _logger;
    private readonly bool _forceAsync;
    private readonly Lock _lock = new();
    private readonly Lock _updateLock = new();
    private readonly delegate* unmanaged[SuppressGCTransition]<ulong> _rdtsc;
    private SafeFd? _fd;
    private SafeFd? _readOnlyFd;
    private MappedMemory? _mapping;
    private byte* _page;
    private Thread? _updater;
    private ManualResetEventSlim? _stop;
    private int _users;
    private long _updates;
    private ulong _baseTsc;
    private ulong _baseNs;
    private ulong _lastTsc;
    private double _tscHz;

    internal GipManager(DriverOptions options, ILogger logger)
    {
        _logger = logger;
        _forceAsync = options.GipForceAsync;
        _rdtsc = Libc.TscReader();
    }

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

    /// <summary>
    /// Finds the mode, measures the CPUs' TSC deltas and the TSC rate (about 20 ms), makes the page
    /// and writes its first update, then seals it against writes by anyone but this mapping.
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

        Calibrate();
        Span<byte> header = new(_page, GipLayout.HeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(header[GipLayout.VersionOffset..], GipLayout.Version);
        BinaryPrimitives.WriteUInt32LittleEndian(header[GipLayout.ModeOffset..], (uint)mode);
        BinaryPrimitives.WriteUInt16LittleEndian(header[GipLayout.CpuCountOffset..], (ushort)cpus.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(header[GipLayout.PagesOffset..], (ushort)(length / ProtocolConstants.PageSize));
        BinaryPrimitives.WriteUInt32LittleEndian(header[GipLayout.UpdateHzOffset..], (uint)(1_000_000_000 / IntervalNanoseconds));
        BinaryPrimitives.WriteUInt32LittleEndian(header[GipLayout.UpdateIntervalNsOffset..], IntervalNanoseconds);
        BinaryPrimitives.WriteUInt64LittleEndian(header[GipLayout.CreatedNsOffset..], _baseNs);
        for (int i = 0; i < cpus.Count; i++)
        {
            Span<byte> entry = new(_page + GipLayout.HeaderSize + (i * GipLayout.CpuEntrySize), GipLayout.CpuEntrySize);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[GipLayout.CpuTransactionOffset..], 2);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[GipLayout.CpuIdOffset..], (uint)cpus[i]);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[GipLayout.CpuStateOffset..], deltas[i] is null && mode is GipMode.InvariantTsc or GipMode.SyncTsc ? GipLayout.CpuOffline : GipLayout.CpuOnline);
            BinaryPrimitives.WriteInt64LittleEndian(entry[GipLayout.CpuTscDeltaOffset..], deltas[i] ?? GipLayout.DeltaNotMeasured);
        }

        Update();

        // Written last: a reader that finds the magic finds a complete page.
        Volatile.Write(ref *(uint*)(_page + GipLayout.MagicOffset), GipLayout.Magic);
        Clock = new GipClock(_page, length, _rdtsc);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            string deltaList = string.Join(", ", deltas.Select((d, i) => $"cpu{cpus[i]} {(d is null ? "-" : d.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))}"));
            string modeName = mode.ToString();
            GipLog.Ready(_logger, modeName, (long)_tscHz, cpus.Count, deltaList, reason ?? "TSC usable");
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
        // TSCs agree. A delta beyond ~1 µs of ticks (at 2.6 GHz) would show as error; then readers
        // use CLOCK_MONOTONIC (asynchronous mode).
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

    /// <summary>The first (TSC, ns) pair and a first rate over 20 ms; later updates refine the rate over the whole time since.</summary>
    private void Calibrate()
    {
        if (_rdtsc == null)
        {
            _baseNs = Libc.MonotonicNanoseconds();
            return;
        }

        (_baseTsc, _baseNs) = SamplePair();
        ulong tsc;
        ulong ns;
        do
        {
            Thread.Sleep(5);
            (tsc, ns) = SamplePair();
        }
        while (ns - _baseNs < 20_000_000);

        _tscHz = (tsc - _baseTsc) * 1e9 / (ns - _baseNs);
        _lastTsc = tsc;
    }

    /// <summary>A TSC and CLOCK_MONOTONIC read together: the TSC is the midpoint of two reads around the clock's, best of five.</summary>
    private (ulong Tsc, ulong Ns) SamplePair()
    {
        ulong bestSpan = ulong.MaxValue;
        (ulong, ulong) best = default;
        for (int i = 0; i < 5; i++)
        {
            ulong before = _rdtsc();
            ulong ns = Libc.MonotonicNanoseconds();
            ulong after = _rdtsc();
            if (after - before < bestSpan)
            {
                bestSpan = after - before;
                best = (before + ((after - before) / 2), ns);
            }
        }

        return best;
    }

    /// <summary>
    /// One update of CPU 0's entry (all readers use it in the TSC modes), under its transaction id.
    /// Serialised: an updater that is being stopped may still finish an update while a new one starts.
    /// </summary>
    private void Update()
    {
        lock (_updateLock)
        {
            UpdateEntry();
        }
    }

    private void UpdateEntry()
    {
        // Everything is read and computed first: the transaction stays open only for the stores,
        // so that readers seldom find it odd.
        ulong tsc = 0;
        ulong ns;
        ulong nsPerTick = 0;
        if (_rdtsc != null)
        {
            (tsc, ns) = SamplePair();
            if (ns > _baseNs + 100_000_000)
            {
                // The longer the baseline, the better the rate: refine it over the whole time since the start.
                _tscHz = (tsc - _baseTsc) * 1e9 / (ns - _baseNs);
            }

            nsPerTick = (ulong)(1e9 * 4294967296.0 / _tscHz);
        }
        else
        {
            ns = Libc.MonotonicNanoseconds();
        }

        byte* entry = _page + GipLayout.HeaderSize;
        ref uint transaction = ref *(uint*)(entry + GipLayout.CpuTransactionOffset);
        if ((Interlocked.Increment(ref transaction) & 1) == 0)
        {
            // Someone else's write was in flight: not possible with one updater, but never publish a torn entry.
            Interlocked.Increment(ref *(uint*)(entry + GipLayout.CpuErrorsOffset));
            Interlocked.Increment(ref transaction);
            return;
        }

        Volatile.Write(ref *(ulong*)(entry + GipLayout.CpuNanoTsOffset), ns);
        if (_rdtsc != null)
        {
            Volatile.Write(ref *(ulong*)(entry + GipLayout.CpuTscOffset), tsc);
            Volatile.Write(ref *(ulong*)(entry + GipLayout.CpuNsPerTickOffset), nsPerTick);
            Volatile.Write(ref *(ulong*)(entry + GipLayout.CpuMaxDeltaTscOffset), (ulong)(_tscHz * StaleAfterSeconds));
            Volatile.Write(ref *(uint*)(entry + GipLayout.CpuUpdateIntervalTscOffset), (uint)Math.Min(tsc - _lastTsc, uint.MaxValue));
        }

        Interlocked.Increment(ref transaction);
        if (_rdtsc != null)
        {
            Volatile.Write(ref *(ulong*)(_page + GipLayout.TscHzOffset), (ulong)_tscHz);
            _lastTsc = tsc;
        }

        Volatile.Write(ref *(ulong*)(_page + GipLayout.UpdatesOffset), (ulong)Interlocked.Increment(ref _updates));
    }

    private void StartUpdater()
    {
        // A restarted updater moves the transaction ids to the next multiple of 0x1000 (as SUPDrv),
        // so a reader can tell a restart from an update.
        lock (_updateLock)
        {
            ref uint transaction = ref *(uint*)(_page + GipLayout.HeaderSize + GipLayout.CpuTransactionOffset);
            Volatile.Write(ref transaction, (transaction + 0x1000) & ~0xfffu);
            UpdateEntry();
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

            Update();
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
}
