using System.Runtime.InteropServices;

namespace SupHost.Native.Tests;

public class TimeTests
{
    [Fact]
    public unsafe void The_rdtsc_stub_counts_at_a_steady_rate()
    {
        delegate* unmanaged[SuppressGCTransition]<ulong> rdtsc = Libc.TscReader();
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            Assert.True(rdtsc == null);
            return;
        }

        Assert.True(rdtsc != null);
        Assert.Equal((nint)rdtsc, (nint)Libc.TscReader());

        // Two 50 ms windows: the TSC advances, and at the same rate in both (constant_tsc here).
        double[] rates = new double[2];
        for (int i = 0; i < 2; i++)
        {
            ulong ns0 = Libc.MonotonicNanoseconds();
            ulong tsc0 = rdtsc();
            while (Libc.MonotonicNanoseconds() - ns0 < 50_000_000)
            {
                Thread.SpinWait(100);
            }

            ulong tsc1 = rdtsc();
            ulong ns1 = Libc.MonotonicNanoseconds();
            rates[i] = (tsc1 - tsc0) * 1e9 / (ns1 - ns0);
        }

        Assert.True(rates[0] > 1e8, $"{rates[0]:F0} ticks per second");
        Assert.InRange(rates[1], rates[0] * 0.99, rates[0] * 1.01);
    }

    [Fact]
    public unsafe void The_ordered_TSC_stubs_read_the_same_counter_and_name_the_cpu()
    {
        delegate* unmanaged[SuppressGCTransition]<ulong> ordered = Libc.OrderedTscReader();
        delegate* unmanaged[SuppressGCTransition]<uint*, ulong> withCpu = Libc.OrderedTscWithCpuReader();
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            Assert.True(ordered == null && withCpu == null && Libc.TscThenLoadReader() == null);
            return;
        }

        // The same counter as the raw rdtsc, read in order: raw, ordered, with cpu, raw never go back.
        delegate* unmanaged[SuppressGCTransition]<ulong> raw = Libc.TscReader();
        Assert.True(ordered != null);
        bool hasRdtscp = File.ReadAllLines("/proc/cpuinfo").First(l => l.StartsWith("flags", StringComparison.Ordinal)).Split(' ').Contains("rdtscp");
        Assert.Equal(hasRdtscp, withCpu != null);
        if (!hasRdtscp)
        {
            return;
        }

        delegate* unmanaged[SuppressGCTransition]<uint*, uint*, uint*, ulong> thenLoad = Libc.TscThenLoadReader();
        delegate* unmanaged[SuppressGCTransition]<uint*, uint*, uint*, ulong> thenLoadWithoutCpu = Libc.TscThenLoadWithoutCpuReader();
        Assert.True(thenLoadWithoutCpu != null);
        Assert.True(Libc.OrderedTscForm is "lfence; rdtsc" or "rdtscp", Libc.OrderedTscForm);
        uint* word = stackalloc uint[1];
        for (int i = 0; i < 1000; i++)
        {
            *word = (uint)i * 7;
            ulong a = raw();
            ulong b = ordered();
            uint cpu;
            ulong c = withCpu(&cpu);
            uint loaded;
            uint loadCpu;
            ulong d = thenLoad(word, &loaded, &loadCpu);
            Assert.Equal((uint)i * 7, loaded);
            *word = (uint)i * 11;
            ulong f = thenLoadWithoutCpu(word, &loaded, &loadCpu);
            ulong e = raw();
            Assert.True(a <= b && b <= c && c <= d && d <= f && f <= e, $"{a} {b} {c} {d} {f} {e}");
            Assert.Equal((uint)i * 11, loaded);
        }

        // The processor id is the CPU the thread runs on (Linux writes it into IA32_TSC_AUX).
        for (int target = 0; target < Math.Min(Environment.ProcessorCount, 4); target++)
        {
            int pinTo = target;
            uint seen = uint.MaxValue;
            int current = -1;
            uint seenByLoad = uint.MaxValue;
            var thread = new Thread(() =>
            {
                Assert.Equal(Errno.None, Libc.PinThread(pinTo));
                uint id;
                _ = withCpu(&id);
                seen = id & 0xfff;
                uint loaded;
                uint* zero = stackalloc uint[1];
                _ = Libc.TscThenLoadReader()(zero, &loaded, &id);
                seenByLoad = id & 0xfff;
                current = Libc.CurrentCpu();
            });
            thread.Start();
            thread.Join();
            Assert.Equal((uint)pinTo, seen);
            Assert.Equal((uint)pinTo, seenByLoad);
            Assert.Equal(pinTo, current);
        }
    }

    [Fact]
    public unsafe void The_gip_entry_reader_gives_the_documented_formula_and_defers_what_it_cannot_decide()
    {
        delegate* unmanaged[SuppressGCTransition]<byte*, ulong> read = Libc.GipEntryReader();
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            Assert.True(read == null);
            return;
        }

        Assert.True(read != null);
        delegate* unmanaged[SuppressGCTransition]<ulong> raw = Libc.TscReader();
        byte* entry = stackalloc byte[128];
        new Span<byte>(entry, 128).Clear();
        void Set(uint transaction, ulong ns, ulong tsc, ulong rate, ulong slew, ulong nominal, ulong maxDelta)
        {
            *(uint*)entry = transaction;
            *(ulong*)(entry + 8) = ns;
            *(ulong*)(entry + 16) = tsc;
            *(ulong*)(entry + 24) = rate;
            *(ulong*)(entry + 32) = slew;
            *(ulong*)(entry + 40) = nominal;
            *(ulong*)(entry + 48) = maxDelta;
        }

        // docs/gip.md, Reading, step 4: ns + (min(delta, span) × rate) >> 32 + (max(delta − span, 0) × nominal) >> 32.
        // Rate 3 ns a tick for the first 1,000 ticks, then 1: between the TSCs read around the call.
        const ulong Start = 5_000_000_000;
        ulong baseTsc = raw() - 100_000;
        Set(2, Start, baseTsc, 3UL << 32, 1000, 1UL << 32, ulong.MaxValue >> 1);
        ulong before = raw();
        ulong time = read(entry);
        ulong after = raw();
        Assert.InRange(time, Start + 3000 + (before - baseTsc - 1000), Start + 3000 + (after - baseTsc - 1000));

        // Within the span: the slewed rate alone (half a nanosecond a tick).
        Set(4, Start, baseTsc, 1UL << 31, ulong.MaxValue >> 1, 1UL << 32, ulong.MaxValue >> 1);
        before = raw();
        time = read(entry);
        after = raw();
        Assert.InRange(time, Start + ((before - baseTsc) / 2), Start + ((after - baseTsc) / 2));

        // What it leaves to the caller: an odd id (0), a TSC before the entry's and a stale entry (1).
        Set(5, Start, baseTsc, 1UL << 32, 0, 1UL << 32, ulong.MaxValue >> 1);
        Assert.Equal(0UL, read(entry));
        Set(6, Start, raw() + 1_000_000_000_000, 1UL << 32, 0, 1UL << 32, ulong.MaxValue >> 1);
        Assert.Equal(1UL, read(entry));
        Set(6, Start, baseTsc, 1UL << 32, 0, 1UL << 32, 1000);
        Assert.Equal(1UL, read(entry));
    }

    [Fact]
    public void The_monotonic_clock_matches_Stopwatch()
    {
        ulong before = Libc.MonotonicNanoseconds();
        long stopwatch = System.Diagnostics.Stopwatch.GetTimestamp();
        ulong after = Libc.MonotonicNanoseconds();
        Assert.Equal(1_000_000_000, System.Diagnostics.Stopwatch.Frequency);
        Assert.InRange((ulong)stopwatch, before, after);
    }

    [Fact]
    public async Task A_pinned_thread_runs_on_its_cpu_and_a_missing_cpu_is_refused()
    {
        int[] seen = await Task.Factory.StartNew(
            () =>
            {
                Assert.Equal(Errno.None, Libc.PinThread(0));
                int first = Libc.CurrentCpu();
                Thread.Yield();
                return new[] { first, Libc.CurrentCpu() };
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        Assert.Equal([0, 0], seen);
        Assert.Equal(Errno.EINVAL, await Task.Factory.StartNew(() => Libc.PinThread(1023), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
    }
}
