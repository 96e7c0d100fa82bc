using System.Diagnostics;
using SupHost.Client;
using SupHost.Native;
using SupHost.Protocol;

namespace Supd.Tests;

public class GipTests
{
    private const int ReadsPerThread = 10_000_000;

    [Fact]
    public void The_page_has_its_layout_and_the_mode_the_machine_allows()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient client = daemon.Connect();
        using GipMapping gip = client.MapGip();
        GipInfo info = gip.Snapshot();
        Assert.Equal($"0x{GipLayout.Magic:x8}", info.Magic);
        Assert.Equal("2.0", info.Version);
        Assert.Equal(ExpectedMode().ToString(), info.Mode);
        Assert.Equal(100u, info.UpdateHz);
        Assert.Equal(10_000_000u, info.UpdateIntervalNs);
        Assert.Equal(PossibleCpus(), info.Cpus.Count);
        Assert.Equal(GipLayout.SizeFor(info.Cpus.Count), gip.Mapping.Length);
        Assert.True(info.UpdaterRunning);
        Assert.Equal(1u, info.Users);
        Assert.Equal(0, info.Cpus[0].TscDelta);
        Assert.All(info.Cpus, c => Assert.Equal(0u, c.TransactionId & 1));
        if (ExpectedMode() == GipMode.InvariantTsc)
        {
            Assert.True(gip.Clock.UsesTsc, gip.Clock.FallbackReason);
            Assert.Null(gip.Clock.FallbackReason);

            // The calibrated rate against the kernel's: the TSC over 200 ms of CLOCK_MONOTONIC,
            // each end a pair read with the TSC on both sides of the clock (the tightest of a few),
            // so that a preemption between two reads cannot skew it.
            (ulong tsc0, ulong ns0) = Pair(gip.Clock);
            while (Libc.MonotonicNanoseconds() - ns0 < 200_000_000)
            {
                Thread.SpinWait(100);
            }

            (ulong tsc1, ulong ns1) = Pair(gip.Clock);
            double measuredHz = (tsc1 - tsc0) * 1e9 / (ns1 - ns0);
            Assert.InRange(info.TscHz, measuredHz * 0.999, measuredHz * 1.001);
        }
    }

    private static (ulong Tsc, ulong Ns) Pair(GipClock clock)
    {
        (ulong Tsc, ulong Ns) best = default;
        ulong bestSpan = ulong.MaxValue;
        for (int i = 0; i < 20; i++)
        {
            ulong before = clock.ReadTsc();
            ulong ns = Libc.MonotonicNanoseconds();
            ulong after = clock.ReadTsc();
            if (after - before < bestSpan)
            {
                bestSpan = after - before;
                best = (before + ((after - before) / 2), ns);
            }
        }

        return best;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_clock_never_goes_backwards_across_two_threads(bool forceAsync)
    {
        using Daemon daemon = forceAsync ? Daemon.StartWithConfig("""{ "Supd": { "GipForceAsync": true } }""") : Daemon.Start();
        using SupClient client = daemon.Connect();
        using GipMapping gip = client.MapGip();
        GipClock clock = gip.Clock;
        Assert.True(clock.UsesTsc, clock.FallbackReason);
        Assert.Equal(forceAsync, clock.PerCpu);

        // Two threads on two CPUs. Each checks its own reads and, before each read, the other
        // thread's last one: a read that happened after the other's published read must not be earlier.
        long[] published = new long[32];
        long[] violations = new long[2];
        long[] distinct = new long[2];
        long[] worstNs = new long[2];
        bool[] pinned = new bool[2];
        var threads = new Thread[2];
        using var start = new Barrier(2);
        for (int t = 0; t < 2; t++)
        {
            int me = t;
            threads[t] = new Thread(() =>
            {
                pinned[me] = Libc.PinThread(me) == Errno.None && Libc.CurrentCpu() == me;
                start.SignalAndWait();
                int mine = me * 16;
                int other = (1 - me) * 16;
                ulong last = 0;
                for (int i = 0; i < ReadsPerThread; i++)
                {
                    ulong seen = (ulong)Volatile.Read(ref published[other]);
                    ulong now = clock.NanoTime;
                    if (now < last || now < seen)
                    {
                        violations[me]++;
                        worstNs[me] = Math.Max(worstNs[me], (long)(Math.Max(last, seen) - now));
                    }

                    if (now != last)
                    {
                        distinct[me]++;
                    }

                    last = now;
                    Volatile.Write(ref published[mine], (long)now);
                }
            });
            threads[t].Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        Assert.Equal([true, true], pinned);
        Assert.True(violations.All(v => v == 0), $"reads earlier than one before them: {violations[0]} and {violations[1]}, by up to {worstNs.Max()} ns");

        // The clock moved: most reads saw a new value (time passes between reads of ~20 ns).
        Assert.All(distinct, d => Assert.True(d > ReadsPerThread / 10, $"only {d} distinct values"));
        Assert.Equal(0, clock.StaleReads);
        Assert.Equal(0, clock.UnknownCpuReads);
    }

    [Fact]
    public void The_clock_stays_within_10_microseconds_of_CLOCK_MONOTONIC_over_60_seconds_in_both_modes()
    {
        // One daemon in each mode, sampled in turn by one loop, so that both checks take one minute.
        using Daemon invariant = Daemon.Start();
        using Daemon async = Daemon.StartWithConfig("""{ "Supd": { "GipForceAsync": true } }""");
        using SupClient invariantClient = invariant.Connect();
        using SupClient asyncClient = async.Connect();
        using GipMapping invariantGip = invariantClient.MapGip();
        using GipMapping asyncGip = asyncClient.MapGip();
        Assert.Equal(ExpectedMode() == GipMode.InvariantTsc, invariantGip.Clock.UsesTsc);
        Assert.True(asyncGip.Clock.PerCpu, asyncGip.Clock.FallbackReason);
        GipClock[] clocks = [invariantGip.Clock, asyncGip.Clock];
        var deviations = new List<double>[] { [], [] };
        ulong end = Libc.MonotonicNanoseconds() + 60_000_000_000UL;
        ulong next = 0;
        while (true)
        {
            // Each clock every 20 µs (3 million samples each), busy between samples.
            ulong now = Libc.MonotonicNanoseconds();
            if (now > end)
            {
                break;
            }

            if (now < next)
            {
                continue;
            }

            next = now + 20_000;
            for (int which = 0; which < 2; which++)
            {
                ulong before = Libc.MonotonicNanoseconds();
                ulong gip = clocks[which].NanoTime;
                ulong after = Libc.MonotonicNanoseconds();

                // A sample the scheduler interrupted brackets nothing: skip it.
                if (after - before <= 2_000)
                {
                    deviations[which].Add(Math.Abs((double)gip - ((before + after) / 2.0)));
                }
            }
        }

        string[] names = ["invariant", "forced async"];
        for (int m = 0; m < 2; m++)
        {
            double[] sorted = [.. deviations[m].Order()];
            Assert.True(sorted.Length > 100_000, $"{names[m]}: {sorted.Length} samples");
            Assert.True(sorted[^1] <= 10_000, $"{names[m]}: the GIP clock was {sorted[^1]:F0} ns from CLOCK_MONOTONIC at worst");
            Assert.True(sorted[sorted.Length / 2] <= 1_000, $"{names[m]}: the median distance from CLOCK_MONOTONIC was {sorted[sorted.Length / 2]:F0} ns");
        }

        foreach (GipInfo info in new[] { invariantGip.Snapshot(), asyncGip.Snapshot() })
        {
            Assert.True(info.Steps == 0, $"{info.Mode}: {info.Steps} steps; entries: {string.Join("; ", info.Cpus.Select(c => $"cpu{c.Cpu} {c.Updates} updates, {c.Steps} steps, last error {c.ErrorNs} ns"))}");
        }
    }

    [Fact]
    public void The_clock_never_steps_back_across_10000_updates()
    {
        // An update every millisecond. A reader reads the clock back to back, and after each read
        // looks at CPU 0's entry: when an update replaced it (the id moved by exactly 2), the new
        // entry must start no earlier than the old entry's formula (docs/gip.md, Reading) gives at
        // the new entry's TSC, and exactly there unless the update stepped. A rebase on
        // CLOCK_MONOTONIC shows here as a few nanoseconds back or forth, too little to see between
        // two reads. (One reader: the updater needs a CPU too.)
        using Daemon daemon = Daemon.StartWithConfig("""{ "Supd": { "GipUpdateIntervalMs": 1 } }""");
        using SupClient client = daemon.Connect();
        using GipMapping gip = client.MapGip();
        GipClock clock = gip.Clock;
        Assert.True(clock.UsesTsc, clock.FallbackReason);
        Assert.Equal(1000u, gip.Snapshot().UpdateHz);
        // The first update after the map may catch a stale entry up (the daemon started over a second ago).
        Poll.Until(() => gip.Snapshot().Cpus[0].Updates > 1, "the updater to run");
        ulong firstUpdates = gip.Snapshot().Updates;
        uint firstCatchUps = gip.Snapshot().Cpus[0].CatchUps;
        long backwards = 0;
        long worstNs = 0;
        long boundaries = 0;
        long startsBefore = 0;
        long startsAfter = 0;
        long worstStartNs = 0;
        int done = 0;
        var reader = new Thread(() =>
        {
            nint entry = gip.Mapping.DangerousGetHandle() + GipLayout.EntriesOffset;
            Entry previous = Entry.Read(entry);
            ulong last = clock.NanoTime;
            while (Volatile.Read(ref done) == 0)
            {
                ulong now = clock.NanoTime;
                if (now < last)
                {
                    backwards++;
                    worstNs = Math.Max(worstNs, (long)(last - now));
                }

                last = now;
                if (Entry.Id(entry) == previous.Transaction)
                {
                    continue;
                }

                Entry current = Entry.Read(entry);
                if (current.Transaction == previous.Transaction + 2)
                {
                    UInt128 formula = previous.At(current.Tsc);
                    if (current.Ns < formula)
                    {
                        startsBefore++;
                        worstStartNs = Math.Max(worstStartNs, (long)(formula - current.Ns));
                    }
                    else if (current.Ns > formula)
                    {
                        startsAfter++;
                    }

                    Volatile.Write(ref boundaries, boundaries + 1);
                }

                previous = current;
            }
        });
        reader.Start();
        try
        {
            // Until the reader saw 10,000 updates one by one (it misses some while it is preempted).
            Poll.Until(() => Volatile.Read(ref boundaries) >= 10_000 && gip.Snapshot().Updates >= firstUpdates + 10_000, () => $"10,000 updates (at {gip.Snapshot().Updates - firstUpdates}) seen one by one (at {Volatile.Read(ref boundaries)})", timeoutMs: 180_000);
        }
        finally
        {
            Volatile.Write(ref done, 1);
            reader.Join();
        }

        GipInfo info = gip.Snapshot();
        Assert.True(backwards == 0, $"{backwards} reads earlier than the one before, by up to {worstNs} ns");
        Assert.True(startsBefore == 0, $"{startsBefore} of {boundaries} updates started the entry before the old formula's time, by up to {worstStartNs} ns");
        Assert.Equal(0u, info.Steps);
        Assert.Equal(firstCatchUps, info.Cpus[0].CatchUps);
        Assert.Equal(0, startsAfter);
        Assert.True(info.Cpus[0].Updates >= 10_000, $"{info.Cpus[0].Updates} updates of cpu0's entry");

        // The updates slewed: the last one found the clock within a few microseconds of CLOCK_MONOTONIC.
        Assert.InRange(info.Cpus[0].ErrorNs, -5_000, 5_000);
    }

    [Fact]
    public void A_daemon_stopped_past_the_staleness_bound_leaves_readers_on_the_kernels_time_and_resumes_without_a_step_back()
    {
        // SIGSTOP freezes the updater with the page mapped: after a second without an update the
        // entry is stale, and reads return the later of the formula and CLOCK_MONOTONIC (counted).
        // SIGCONT: the first update starts the entry no earlier than what those reads returned (the
        // catch-up path of docs/gip.md). A reader reads back to back throughout; none may go back.
        using Daemon daemon = Daemon.Start();
        using SupClient client = daemon.Connect();
        using GipMapping gip = client.MapGip();
        GipClock clock = gip.Clock;
        Assert.True(clock.UsesTsc, clock.FallbackReason);
        Poll.Until(() => gip.Snapshot().Cpus[0].Updates > 1, "the updater to run");
        long backwards = 0;
        long worstNs = 0;
        long reads = 0;
        long belowKernel = 0;
        int done = 0;
        var reader = new Thread(() =>
        {
            ulong last = clock.NanoTime;
            while (Volatile.Read(ref done) == 0)
            {
                ulong kernel = Libc.MonotonicNanoseconds();
                ulong now = clock.NanoTime;
                if (now < last)
                {
                    backwards++;
                    worstNs = Math.Max(worstNs, (long)(last - now));
                }

                // A read taken after the kernel's must not trail it by more than the 10 µs the
                // clock is held to (stale or not).
                if (now + 10_000 < kernel)
                {
                    belowKernel++;
                }

                last = now;
                Volatile.Write(ref reads, reads + 1);
            }
        });
        reader.Start();
        ulong updatesBefore;
        try
        {
            Libc.Kill(daemon.Pid, Libc.SIGSTOP);
            try
            {
                Poll.Until(() => clock.StaleReads > 0, "reads of the frozen daemon's entry to be stale", timeoutMs: 30_000);
                updatesBefore = gip.Snapshot().Cpus[0].Updates;
            }
            finally
            {
                Libc.Kill(daemon.Pid, Libc.SIGCONT);
            }

            Poll.Until(() => gip.Snapshot().Cpus[0].Updates > updatesBefore + 2, "the updater to run again");
            long readsAfter = Volatile.Read(ref reads);
            Poll.Until(() => Volatile.Read(ref reads) > readsAfter + 100_000, "reads after the resume");
        }
        finally
        {
            Volatile.Write(ref done, 1);
            reader.Join();
        }

        GipInfo info = gip.Snapshot();
        Assert.True(backwards == 0, $"{backwards} reads earlier than the one before, by up to {worstNs} ns");
        Assert.True(belowKernel == 0, $"{belowKernel} of {reads} reads more than 10 µs behind CLOCK_MONOTONIC");
        Assert.True(clock.StaleReads > 0);
        long staleAfterResume = clock.StaleReads;
        ulong kernelNow = Libc.MonotonicNanoseconds();
        ulong settled = clock.NanoTime;
        Assert.Equal(staleAfterResume, clock.StaleReads);
        Assert.True(settled + 10_000 >= kernelNow, $"after the resume the clock trails CLOCK_MONOTONIC by {(long)(kernelNow - settled)} ns");

        // A pause is no error of the rate: no step forward, and the daemon served on.
        Assert.Equal(0u, info.Steps);
        Assert.Equal(ExpectedMode().ToString(), info.Mode);
        Assert.NotNull(client.QueryStatus());
    }

    /// <summary>The fields of a CPU entry a read uses, read under its transaction id, and the formula docs/gip.md gives for them.</summary>
    private readonly unsafe record struct Entry(uint Transaction, ulong Ns, ulong Tsc, ulong NsPerTick, ulong SlewTicks, ulong Nominal)
    {
        public static uint Id(nint entry) => Volatile.Read(ref *(uint*)(entry + GipLayout.CpuTransactionOffset));

        public static Entry Read(nint entry)
        {
            while (true)
            {
                uint id = Id(entry);
                var e = new Entry(
                    id,
                    Volatile.Read(ref *(ulong*)(entry + GipLayout.CpuNanoTsOffset)),
                    Volatile.Read(ref *(ulong*)(entry + GipLayout.CpuTscOffset)),
                    Volatile.Read(ref *(ulong*)(entry + GipLayout.CpuNsPerTickOffset)),
                    Volatile.Read(ref *(ulong*)(entry + GipLayout.CpuSlewTicksOffset)),
                    Volatile.Read(ref *(ulong*)(entry + GipLayout.CpuNominalNsPerTickOffset)));
                if ((id & 1) == 0 && Id(entry) == id)
                {
                    return e;
                }
            }
        }

        /// <summary>ns + (min(delta, span) × rate) >> 32 + (max(delta − span, 0) × nominal) >> 32, in 128 bits.</summary>
        public UInt128 At(ulong tsc)
        {
            if (tsc <= Tsc)
            {
                return Ns;
            }

            UInt128 delta = tsc - Tsc;
            UInt128 slewed = UInt128.Min(delta, SlewTicks);
            return Ns + ((slewed * NsPerTick) >> 32) + (((delta - slewed) * Nominal) >> 32);
        }
    }

    [Fact]
    public void The_client_cannot_write_the_gip()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient client = daemon.Connect();
        using GipMapping gip = client.MapGip();
        long length = gip.Mapping.Length;

        // Its mapping cannot be made writable, nor can its descriptor be mapped writable.
        Assert.Equal(Errno.EACCES, Libc.Protect(gip.Mapping, 0, length, Libc.PROT_READ | Libc.PROT_WRITE));
        Assert.Equal(Errno.EACCES, Assert.Throws<NativeException>(() => Libc.Map(gip.Descriptor, length, Libc.PROT_READ | Libc.PROT_WRITE)).Errno);

        // Even a root client that opens the file again for writing cannot write it: it is sealed.
        string path = $"/proc/self/fd/{gip.Descriptor.DangerousGetHandle()}";
        using (Microsoft.Win32.SafeHandles.SafeFileHandle reopened = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite))
        {
            UnauthorizedAccessException refused = Assert.Throws<UnauthorizedAccessException>(() => RandomAccess.Write(reopened, new byte[4], 0));
            Assert.Equal("Operation not permitted", refused.InnerException?.Message);
        }

        // A write to the mapping faults, in a child process.
        string[] command = Tool.PeerCommand("gip-write-fault", daemon.RunDir);
        (int code, string stdout, _) = Tool.Run(command[0], command[1..]);
        Assert.NotEqual(0, code);
        Assert.Contains($"READ 0x{GipLayout.Magic:x8}", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("WROTE", stdout, StringComparison.Ordinal);

        // The page is intact.
        Assert.Equal($"0x{GipLayout.Magic:x8}", gip.Snapshot().Magic);
    }

    [Fact]
    public void The_daemon_updates_the_page_only_while_a_session_maps_it()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient observer = daemon.Connect();
        StatusInfo idle = observer.QueryStatus();
        Assert.False(idle.GipUpdaterRunning);
        Assert.Equal(0, idle.GipUsers);

        // Restricted sessions may map it; repeated maps of one session count once.
        using SupClient restricted = SupClient.Connect(new SupClientOptions { RunDirectory = daemon.RunDir, Endpoint = SupEndpoint.Restricted });
        int fdsBefore = daemon.FdCount();
        GipMapping first = restricted.MapGip();
        using (GipMapping again = restricted.MapGip())
        {
            Assert.Equal(1, observer.QueryStatus().GipUsers);
        }

        // The client library drops the session's mapping with its last GipMapping.
        Assert.Equal(1, observer.QueryStatus().GipUsers);
        first.Dispose();
        Assert.Equal(0, observer.QueryStatus().GipUsers);
        using GipMapping mapped = restricted.MapGip();
        Assert.True(observer.ListSessions().Single(s => s.Id == restricted.SessionId).MapsGip);
        Assert.False(observer.ListSessions().Single(s => s.Id == observer.SessionId).MapsGip);
        StatusInfo running = observer.QueryStatus();
        Assert.True(running.GipUpdaterRunning);
        Assert.Equal(1, running.GipUsers);
        Poll.Until(() => observer.QueryStatus().GipUpdates > running.GipUpdates + 5, "the updater to update the page");
        uint transaction = mapped.Snapshot().Cpus[0].TransactionId;
        Poll.Until(() => mapped.Snapshot().Cpus[0].TransactionId > transaction, "the transaction id to move");

        // A killed client's mapping goes with its session.
        (Process peer, uint sessionId) = Tool.StartHoldingPeer("hold-gip", daemon.RunDir);
        using (peer)
        {
            Assert.True(observer.ListSessions().Single(s => s.Id == sessionId).MapsGip);
            Assert.Equal(2, observer.QueryStatus().GipUsers);
            peer.Kill();
            peer.WaitForExit();
        }

        Poll.Until(() => observer.QueryStatus().GipUsers == 1, "the killed client's mapping to go");
        mapped.Dispose();
        StatusInfo stopped = observer.QueryStatus();
        Assert.Equal(0, stopped.GipUsers);
        Assert.False(stopped.GipUpdaterRunning);
        Poll.Until(() => daemon.FdCount() == fdsBefore, () => $"descriptors {daemon.FdCount()} (was {fdsBefore}) to return");
        Assert.Equal(SupStatus.NotFound, Assert.Throws<SupException>(() => restricted.Call(SupFunction.GipUnmap, [], 0)).Status);

        // A restart moves the transaction ids to the next multiple of 0x1000.
        using GipMapping restarted = restricted.MapGip();
        Assert.Equal(0u, (restarted.Snapshot().Cpus[0].TransactionId - 2) % 0x1000);
    }

    [Fact]
    public void A_module_reads_the_same_clock()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient client = daemon.Connect();
        using GipMapping gip = client.MapGip();
        ModuleOpenReply echo = client.OpenModule("sample-echo");
        client.LoadModule(echo.Handle);
        ulong time = client.GetSymbol(echo.Handle, "Time");
        for (int i = 0; i < 100; i++)
        {
            ulong before = gip.Clock.NanoTime;
            ulong module = BitConverter.ToUInt64(client.CallModule(time, 0, 0, [], 8).Payload);
            ulong after = gip.Clock.NanoTime;
            Assert.InRange(module, before - 10_000, after + 10_000);
        }
    }

    [Fact]
    public void Forced_asynchronous_mode_reads_the_entry_of_the_CPU_it_runs_on_and_says_so()
    {
        using Daemon daemon = Daemon.StartWithConfig("""{ "Supd": { "GipForceAsync": true } }""");
        using SupClient client = daemon.Connect();
        using GipMapping gip = client.MapGip();
        Assert.Equal(GipMode.AsyncTsc, gip.Clock.Mode);
        Assert.True(gip.Clock.UsesTsc, gip.Clock.FallbackReason);
        Assert.True(gip.Clock.PerCpu);
        Assert.Equal("AsyncTsc", client.QueryStatus().GipMode);
        Assert.Equal("forced by Supd:GipForceAsync", client.QueryStatus().GipModeReason);

        // Every CPU the daemon can run on has its entry, each updated (from that CPU).
        int cpus = PossibleCpus();
        Poll.Until(() => gip.Snapshot().Cpus.Where(c => c.State == "online").All(c => c.Updates > 10), "every CPU's entry to be updated");
        GipInfo info = gip.Snapshot();
        Assert.Equal(Environment.ProcessorCount, info.Cpus.Count(c => c.State == "online"));
        Assert.Equal(cpus, info.Cpus.Count);

        // The table maps each CPU to its entry.
        unsafe
        {
            ushort* table = (ushort*)(gip.Mapping.DangerousGetHandle() + GipLayout.CpuTableOffset);
            for (int i = 0; i < info.Cpus.Count; i++)
            {
                Assert.Equal(info.Cpus[i].State == "online" ? i : GipLayout.NoEntry, table[info.Cpus[i].Cpu]);
            }
        }

        // A thread on each CPU reads that CPU's entry: a thread that moves retries on the new CPU's.
        for (int cpu = 0; cpu < Math.Min(2, Environment.ProcessorCount); cpu++)
        {
            int pinTo = cpu;
            ulong a = 0;
            ulong m = 0;
            ulong b = 0;
            var reader = new Thread(() =>
            {
                _ = Libc.PinThread(pinTo);
                _ = gip.Clock.NanoTime;
                a = gip.Clock.NanoTime;
                m = Libc.MonotonicNanoseconds();
                b = gip.Clock.NanoTime;
            });
            reader.Start();
            reader.Join();
            Assert.InRange(m, a - 2_000, b + 2_000);
        }

        if (Environment.ProcessorCount > 1)
        {
            Assert.True(gip.Clock.CpuRetries >= 1, "a thread's first read on cpu1 looks at cpu0's entry first, then retries with cpu1's");
        }

        Assert.Equal(0, gip.Clock.UnknownCpuReads);
        (int code, string text, string stderr) = Tool.Supctl("gip", "--duration", "0", "--run-dir", daemon.RunDir);
        Assert.True(code == 0, stderr);
        Assert.Contains("mode            AsyncTsc (forced by Supd:GipForceAsync)", text, StringComparison.Ordinal);
        Assert.Contains("clock           TSC, the entry of the CPU each read runs on, no system call", text, StringComparison.Ordinal);
        Assert.DoesNotContain("deviation", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Supctl_shows_the_gip_and_its_deviation()
    {
        using Daemon daemon = Daemon.Start();
        (int code, string text, string stderr) = Tool.Supctl("gip", "--duration", "200", "--run-dir", daemon.RunDir);
        Assert.True(code == 0, stderr);
        Assert.Contains($"mode            {ExpectedMode()}", text, StringComparison.Ordinal);
        Assert.Contains("updates         100 Hz (every 10.0 ms)", text, StringComparison.Ordinal);
        Assert.Contains("deviation       median ", text, StringComparison.Ordinal);

        (code, string json, stderr) = Tool.Supctl("gip", "--json", "--duration", "200", "--run-dir", daemon.RunDir);
        Assert.True(code == 0, stderr);
        System.Text.Json.JsonElement root = System.Text.Json.JsonDocument.Parse(json).RootElement;
        Assert.Equal(ExpectedMode().ToString(), root.GetProperty("mode").GetString());
        Assert.Equal(PossibleCpus(), root.GetProperty("cpus").GetArrayLength());
        System.Text.Json.JsonElement deviation = root.GetProperty("deviation");
        Assert.True(deviation.GetProperty("samples").GetInt32() > 100);
        Assert.True(deviation.GetProperty("maxAbsNs").GetDouble() < 10_000, json);

        // supctl's mapping went with its session.
        using SupClient observer = daemon.Connect();
        Poll.Until(() => observer.QueryStatus().GipUsers == 0, "supctl's mapping to go");
        Assert.Equal(2, Tool.Supctl("gip", "--duration", "-1", "--run-dir", daemon.RunDir).ExitCode);
    }

    private static GipMode ExpectedMode()
    {
        string flags = File.ReadAllLines("/proc/cpuinfo").First(l => l.StartsWith("flags", StringComparison.Ordinal));
        string clocksource = File.ReadAllText("/sys/devices/system/clocksource/clocksource0/current_clocksource").Trim();
        return (clocksource, flags.Contains(" constant_tsc", StringComparison.Ordinal), flags.Contains(" nonstop_tsc", StringComparison.Ordinal)) switch
        {
            ("tsc", true, true) => GipMode.InvariantTsc,
            ("tsc", true, false) => GipMode.SyncTsc,
            _ => GipMode.AsyncTsc,
        };
    }

    private static int PossibleCpus() => File.ReadAllText("/sys/devices/system/cpu/possible").Trim().Split(',')
        .Sum(r => r.Contains('-', StringComparison.Ordinal) ? int.Parse(r.Split('-')[1], System.Globalization.CultureInfo.InvariantCulture) - int.Parse(r.Split('-')[0], System.Globalization.CultureInfo.InvariantCulture) + 1 : 1);
}
