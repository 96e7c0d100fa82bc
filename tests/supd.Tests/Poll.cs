using System.Diagnostics;

namespace Supd.Tests;

/// <summary>
/// Waits for a condition the daemon reaches asynchronously (a session ending after its peer
/// closed), checking it repeatedly until a deadline: a bounded wait on the observable state, not a
/// sleep standing in for it.
/// </summary>
public static class Poll
{
    public static void Until(Func<bool> condition, string what, int timeoutMs = 20_000) => Until(condition, () => what, timeoutMs);

    /// <summary>As above; <paramref name="what"/> is asked for only on a timeout, so it can describe the state then.</summary>
    public static void Until(Func<bool> condition, Func<string> what, int timeoutMs = 20_000)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.ElapsedMilliseconds > timeoutMs)
            {
                throw new TimeoutException($"timed out after {timeoutMs} ms waiting for {what()}");
            }

            Thread.Sleep(5);
        }
    }
}
