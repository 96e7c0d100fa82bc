using System.Diagnostics;

namespace SupHost.Client;

/// <summary>
/// Deadlines on the monotonic clock poll(2) times out by (Stopwatch is CLOCK_MONOTONIC): a wait
/// that poll ended at its timeout finds no time left, where the coarse clock behind
/// <see cref="Environment.TickCount64"/> could still show some and wait again.
/// </summary>
internal static class Deadline
{
    /// <summary>The deadline <paramref name="milliseconds"/> from now; -1 is none (<see cref="long.MaxValue"/>).</summary>
    public static long After(long milliseconds) =>
        milliseconds < 0 ? long.MaxValue : Stopwatch.GetTimestamp() + (milliseconds * Stopwatch.Frequency / 1000);

    /// <summary>Milliseconds left until <paramref name="deadline"/>, rounded up (-1: none, 0: passed).</summary>
    public static int Left(long deadline)
    {
        if (deadline == long.MaxValue)
        {
            return -1;
        }

        long ticks = deadline - Stopwatch.GetTimestamp();
        return ticks <= 0 ? 0 : (int)Math.Min(int.MaxValue, ((ticks * 1000) + Stopwatch.Frequency - 1) / Stopwatch.Frequency);
    }

    /// <summary>Whether <paramref name="deadline"/> has passed.</summary>
    public static bool Passed(long deadline) => deadline != long.MaxValue && Stopwatch.GetTimestamp() >= deadline;
}
