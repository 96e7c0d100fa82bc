using System.Diagnostics;
using System.Globalization;
using SupHost.Client;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Bench.Scenarios;

/// <summary>
/// gip: nanoseconds per read of the GIP clock, each figure next to the floors of the same run: the
/// ordered TSC read the clock is built on (the stub: lfence + rdtsc where lfence is dispatch-serializing,
/// rdtscp otherwise, then a load through an address computed from the TSC; Libc.OrderedTscForm), the raw rdtsc, and
/// clock_gettime(CLOCK_MONOTONIC) (through the vDSO, no GC transition). In interleaved rounds:
/// one thread on CPU 0 (the daemon updates the page from CPU 1); two threads at once, one on each
/// CPU (the clock, clock_gettime and the ordered TSC, each on both at once); forced asynchronous
/// mode (a second daemon on every CPU, per-CPU entries); the C floor (native/tsc.c: each TSC form
/// inline, for the stubs' call overhead); then the deviation from CLOCK_MONOTONIC
/// over 60 s in the invariant mode and 20 s in forced asynchronous mode (a sample every 100 µs;
/// median and max of |GIP − CLOCK_MONOTONIC|, next to the median and max time between the two
/// CLOCK_MONOTONIC reads around each GIP read). The bars (issue 14): one thread at most 1.15x the
/// ordered TSC read and at most 0.9x clock_gettime; two threads at most 1.15x one thread.
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

        Console.Error.WriteLine($"the TSC is read in order with: {Libc.OrderedTscForm}");

        // One thread, interleaved rounds.
        var gipNs = new List<double>();
        var monotonicNs = new List<double>();
        var stopwatchNs = new List<double>();
        var orderedNs = new List<double>();
        var rawNs = new List<double>();
        for (int round = 0; round < Rounds; round++)
        {
            gipNs.Add(PerRead(reads, () => clock.NanoTime));
            monotonicNs.Add(PerRead(reads, Libc.MonotonicNanoseconds));
            stopwatchNs.Add(PerRead(reads, () => (ulong)Stopwatch.GetTimestamp()));
            orderedNs.Add(PerRead(reads, clock.ReadOrderedTsc));
            rawNs.Add(PerRead(reads, clock.ReadTsc));
        }

        double gipRead = Median(gipNs);
        double monotonic = Median(monotonicNs);
        double ordered = Median(orderedNs);
        var results = new List<Measurement>
        {
            new("ordered_tsc_read", ordered, "ns", "clock_gettime_monotonic", monotonic),
            new("rdtsc_read", Median(rawNs), "ns", "ordered_tsc_read", ordered),
            new("gip_clock_read", gipRead, "ns", "ordered_tsc_read", ordered),
            new("gip_clock_read_vs_clock_gettime", gipRead, "ns", "clock_gettime_monotonic", monotonic),
            new("gip_clock_read_vs_stopwatch", gipRead, "ns", "stopwatch_gettimestamp", Median(stopwatchNs)),
        };

        // The C floor: each TSC form and clock_gettime inline, no call through a pointer (the stubs' call overhead).
        results.AddRange(CFloor(reads, Median(rawNs), ordered, monotonic));

        // Two threads at once, one per CPU, interleaved rounds.
        var gip2 = new List<double>();
        var monotonic2 = new List<double>();
        var ordered2 = new List<double>();
        for (int round = 0; round < Rounds; round++)
        {
            gip2.Add(TwoThreads(reads, () => clock.NanoTime));
            monotonic2.Add(TwoThreads(reads, Libc.MonotonicNanoseconds));
            ordered2.Add(TwoThreads(reads, clock.ReadOrderedTsc));
        }

        double gipTwo = Median(gip2);
        results.Add(new("gip_clock_read_2_threads", gipTwo, "ns", "gip_clock_read_1_thread", gipRead));
        results.Add(new("gip_clock_read_2_threads_vs_clock_gettime", gipTwo, "ns", "clock_gettime_2_threads", Median(monotonic2)));
        results.Add(new("gip_clock_read_2_threads_vs_ordered_tsc", gipTwo, "ns", "ordered_tsc_read_2_threads", Median(ordered2)));

        using var asyncDaemon = new BenchDaemon(null, """{ "Supd": { "GipForceAsync": true } }""");
        using SupClient asyncClient = asyncDaemon.Connect();
        using GipMapping asyncGip = asyncClient.MapGip();
        results.AddRange(ForcedAsync(reads, asyncGip.Clock));

        // The bars, from this run's figures.
        Bar("one thread vs the ordered TSC read", gipRead / ordered, 1.15);
        Bar("one thread vs clock_gettime", gipRead / monotonic, 0.9);
        Bar("two threads vs one thread", gipTwo / gipRead, 1.15);

        GipDeviation deviation = clock.MeasureDeviation(TimeSpan.FromSeconds(60), TimeSpan.FromMicroseconds(100));

        // Anchors: how closely two CLOCK_MONOTONIC reads around the GIP read bracket it, from the same samples.
        results.Add(new("gip_deviation_median_abs", deviation.MedianAbsNs, "ns", "monotonic_bracket_median", deviation.MedianBracketNs));
        results.Add(new("gip_deviation_max_abs", deviation.MaxAbsNs, "ns", "monotonic_bracket_max", deviation.MaxBracketNs));
        Console.Error.WriteLine($"deviation over {deviation.DurationMs / 1000:F0} s: {deviation.Samples} samples, mean {deviation.MeanNs:F1} ns; torn reads {clock.TornReads}, stale reads {clock.StaleReads}, steps {gip.Snapshot().Steps}");
        GipClock asyncClock = asyncGip.Clock;
        GipDeviation asyncDeviation = asyncClock.MeasureDeviation(TimeSpan.FromSeconds(20), TimeSpan.FromMicroseconds(100));
        results.Add(new("gip_async_deviation_median_abs", asyncDeviation.MedianAbsNs, "ns", "monotonic_bracket_median", asyncDeviation.MedianBracketNs));
        results.Add(new("gip_async_deviation_max_abs", asyncDeviation.MaxAbsNs, "ns", "monotonic_bracket_max", asyncDeviation.MaxBracketNs));
        Console.Error.WriteLine($"forced async deviation over {asyncDeviation.DurationMs / 1000:F0} s: {asyncDeviation.Samples} samples, mean {asyncDeviation.MeanNs:F1} ns; torn reads {asyncClock.TornReads}, CPU retries {asyncClock.CpuRetries}, steps {asyncGip.Snapshot().Steps}");
        return results;
    }

    /// <summary>native/tsc.c on CPU 0: picoseconds per read of each form, next to the stubs' figures of this run.</summary>
    private static List<Measurement> CFloor(int reads, double rawStub, double orderedStub, double monotonic)
    {
        using NativeFloor? floor = NativeFloor.Build("tsc.c");
        if (floor is null)
        {
            return [];
        }

        // Its lines are picoseconds (read as Stopwatch ticks of a nanosecond, which they are not: scaled here).
        double[] ns = [.. floor.Run(reads, 0).Select(ps => ps * (1e9 / Stopwatch.Frequency) / 1000)];
        if (ns.Length != 7)
        {
            Console.Error.WriteLine($"native/tsc.c printed {ns.Length} figures, not 7: its floor is skipped");
            return [];
        }

        // The clock's stub is the lfence form where lfence is dispatch-serializing, rdtscp otherwise.
        bool lfence = Libc.OrderedTscForm == "lfence; rdtsc";
        return
        [
            new("rdtsc_stub_call", rawStub, "ns", "c_rdtsc_inline", ns[0]),
            new("ordered_tsc_stub_call", orderedStub, "ns", lfence ? "c_lfence_rdtsc_then_load_inline" : "c_rdtscp_then_load_inline", lfence ? ns[6] : ns[2]),
            new("c_rdtscp_inline", ns[1], "ns", "c_rdtscp_lfence_inline", ns[3]),
            new("c_lfence_rdtsc_inline", ns[5], "ns", "c_rdtscp_inline", ns[1]),
            new("c_rdtscp_then_load_inline", ns[2], "ns", "c_lfence_rdtsc_then_load_inline", ns[6]),
            new("clock_gettime_monotonic", monotonic, "ns", "c_clock_gettime_inline", ns[4]),
        ];
    }

    /// <summary>Forced asynchronous mode (the daemon runs on every CPU to update each CPU's entry), on CPU 0.</summary>
    private static List<Measurement> ForcedAsync(int reads, GipClock asyncClock)
    {
        if (!asyncClock.PerCpu)
        {
            Console.Error.WriteLine($"note: the forced asynchronous GIP clock does not use per-CPU entries here: {asyncClock.FallbackReason}");
        }

        var asyncNs = new List<double>();
        var asyncMonotonicNs = new List<double>();
        var asyncOrderedNs = new List<double>();
        for (int round = 0; round < Rounds; round++)
        {
            asyncNs.Add(PerRead(reads, () => asyncClock.NanoTime));
            asyncMonotonicNs.Add(PerRead(reads, Libc.MonotonicNanoseconds));
            asyncOrderedNs.Add(PerRead(reads, asyncClock.ReadOrderedTsc));
        }

        double asyncRead = Median(asyncNs);
        return
        [
            new("gip_async_read", asyncRead, "ns", "clock_gettime_monotonic", Median(asyncMonotonicNs)),
            new("gip_async_read_vs_ordered_tsc", asyncRead, "ns", "ordered_tsc_read", Median(asyncOrderedNs)),
        ];
    }

    private static void Bar(string what, double ratio, double limit) =>
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bar: {what} {ratio:F2}x (at most {limit:F2}x): {(ratio <= limit ? "met" : "MISSED")}"));

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
