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
