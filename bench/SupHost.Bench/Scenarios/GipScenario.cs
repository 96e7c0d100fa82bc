using System.Diagnostics;
using SupHost.Client;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Bench.Scenarios;

/// <summary>
/// gip: nanoseconds per read of the GIP clock next to clock_gettime(CLOCK_MONOTONIC) (through the
/// vDSO, no GC transition) and Stopwatch.GetTimestamp(), in interleaved rounds of one run on CPU 0
/// (the daemon updates the page from CPU 1); then the same with two threads reading at once (the
/// GIP clock's compare-and-swap is shared); then the GIP clock's deviation from CLOCK_MONOTONIC over
/// 60 s (a sample every 100 µs; median and max of |GIP − CLOCK_MONOTONIC|, next to the median and
/// max time between the two CLOCK_MONOTONIC reads around each GIP read). The bar: a GIP read
/// costs at most 0.7x a clock_gettime.
/// </summary>
internal static class GipScenario
{
    private const int Rounds = 5;

    public static List<Measurement> Run(int iterations)
    {
        // --iterations counts round trips elsewhere; reads are cheaper by three orders of magnitude.
        int reads = iterations * 500;
        Affinity.PinMainThread(0);
        using var daemon = new BenchDaemon(1);
        using SupClient client = daemon.Connect();
        using GipMapping gip = client.MapGip();
        GipClock clock = gip.Clock;
        if (!clock.UsesTsc)
        {
            Console.Error.WriteLine($"note: the GIP clock does not use the TSC here: {clock.FallbackReason}");
        }

        var gipNs = new List<double>();
        var monotonicNs = new List<double>();
        var stopwatchNs = new List<double>();
        var tscNs = new List<double>();
        for (int round = 0; round < Rounds; round++)
        {
            gipNs.Add(PerRead(reads, () => clock.NanoTime));
            monotonicNs.Add(PerRead(reads, Libc.MonotonicNanoseconds));
            stopwatchNs.Add(PerRead(reads, () => (ulong)Stopwatch.GetTimestamp()));
            tscNs.Add(PerRead(reads, clock.ReadTsc));
        }

        double gipRead = Median(gipNs);
        double monotonic = Median(monotonicNs);
        var results = new List<Measurement>
        {
            new("gip_clock_read", gipRead, "ns", "clock_gettime_monotonic", monotonic),
            new("gip_clock_read_vs_stopwatch", gipRead, "ns", "stopwatch_gettimestamp", Median(stopwatchNs)),
            new("rdtsc_read", Median(tscNs), "ns", "clock_gettime_monotonic", monotonic),
            new("gip_clock_read_2_threads", TwoThreads(reads, () => clock.NanoTime), "ns", "clock_gettime_monotonic_2_threads", TwoThreads(reads, Libc.MonotonicNanoseconds)),
        };

        GipDeviation deviation = clock.MeasureDeviation(TimeSpan.FromSeconds(60), TimeSpan.FromMicroseconds(100));
        // Anchors: how closely two CLOCK_MONOTONIC reads around the GIP read bracket it, from the same samples.
        results.Add(new("gip_deviation_median_abs", deviation.MedianAbsNs, "ns", "monotonic_bracket_median", deviation.MedianBracketNs));
        results.Add(new("gip_deviation_max_abs", deviation.MaxAbsNs, "ns", "monotonic_bracket_max", deviation.MaxBracketNs));
        Console.Error.WriteLine($"deviation over {deviation.DurationMs / 1000:F0} s: {deviation.Samples} samples, mean {deviation.MeanNs:F1} ns; torn reads {clock.TornReads}, stale reads {clock.StaleReads}");
        return results;
    }

    /// <summary>Nanoseconds per call, over <paramref name="reads"/> calls after a warm-up of a second.</summary>
    private static double PerRead(int reads, Func<ulong> read)
    {
        ulong sink = 0;
        long warmUntil = Stopwatch.GetTimestamp() + Stopwatch.Frequency;
        while (Stopwatch.GetTimestamp() < warmUntil)
        {
            for (int i = 0; i < 1000; i++)
            {
                sink += read();
            }
        }

        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < reads; i++)
        {
            sink += read();
        }

        double ns = Stopwatch.GetElapsedTime(start).TotalNanoseconds / reads;
        GC.KeepAlive(sink);
        return ns;
    }

    /// <summary>Nanoseconds per call on each of two threads reading at once, one on each CPU.</summary>
    private static double TwoThreads(int reads, Func<ulong> read)
    {
        double[] perThread = new double[2];
        var threads = new Thread[2];
        using var start = new Barrier(2);
        for (int t = 0; t < 2; t++)
        {
            int me = t;
            threads[t] = new Thread(() =>
            {
                _ = Libc.PinThread(me);
                start.SignalAndWait();
                perThread[me] = PerRead(reads, read);
            });
            threads[t].Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        return perThread.Average();
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
