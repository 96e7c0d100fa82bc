using System.Diagnostics;

namespace SupHost.Bench;

/// <summary>Round-trip samples in Stopwatch ticks, reduced to percentiles in microseconds.</summary>
internal static class Latency
{
    /// <summary>
    /// Times <paramref name="iterations"/> calls of <paramref name="roundTrip"/> after a warm-up of a
    /// tenth as many and at least a second, so that both ends run their tier-1 code (the JIT
    /// promotes hot methods in the background after its 100 ms delay).
    /// </summary>
    public static long[] Sample(int iterations, Action roundTrip, bool longWarmUp = true) => SampleMeasured(
        iterations,
        () =>
        {
            long start = Stopwatch.GetTimestamp();
            roundTrip();
            return Stopwatch.GetTimestamp() - start;
        },
        longWarmUp);

    /// <summary>As <see cref="Sample"/>, for subjects that measure themselves: each call returns its sample in ticks.</summary>
    public static long[] SampleMeasured(int iterations, Func<long> measured, bool longWarmUp = true)
    {
        long warmUntil = Stopwatch.GetTimestamp() + (longWarmUp ? Stopwatch.Frequency : 0);
        for (int i = 0; i < iterations / 10 || Stopwatch.GetTimestamp() < warmUntil; i++)
        {
            measured();
        }

        long[] samples = new long[iterations];
        for (int i = 0; i < iterations; i++)
        {
            samples[i] = measured();
        }

        Array.Sort(samples);
        return samples;
    }

    /// <summary>Merges the samples of several rounds into one sorted array.</summary>
    public static long[] Merge(List<long[]> rounds)
    {
        long[] all = rounds.SelectMany(r => r).ToArray();
        Array.Sort(all);
        return all;
    }

    public static double PercentileMicros(long[] sorted, double percentile) =>
        sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * percentile))] * 1_000_000.0 / Stopwatch.Frequency;
}
