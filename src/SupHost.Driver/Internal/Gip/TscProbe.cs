using System.Globalization;
using System.Runtime.InteropServices;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Driver.Internal.Gip;

/// <summary>
/// What the machine says about its TSC: the CPU flags (constant_tsc, nonstop_tsc), the kernel's
/// clocksource, and the possible CPUs; and the per-CPU TSC deltas to CPU 0, measured by two pinned
/// threads bouncing a cache line (the sample with the shortest round trip wins).
/// </summary>
internal static unsafe class TscProbe
{
    private const int DeltaSamples = 2000;

    /// <summary>The mode the flags and the clocksource allow, and why when it is not invariant.</summary>
    public static (GipMode Mode, string? Reason) DetectMode(bool forceAsync)
    {
        if (Libc.TscReader() == null)
        {
            return (GipMode.Invalid, $"no TSC reader ({RuntimeInformation.ProcessArchitecture}, or no executable memory for the rdtsc stub)");
        }

        if (forceAsync)
        {
            return (GipMode.AsyncTsc, "forced by Supd:GipForceAsync");
        }

        string clocksource = ReadOrEmpty("/sys/devices/system/clocksource/clocksource0/current_clocksource").Trim();
        if (!string.Equals(clocksource, "tsc", StringComparison.Ordinal))
        {
            return (GipMode.AsyncTsc, $"the kernel's clocksource is '{clocksource}', not tsc");
        }

        HashSet<string> flags = CpuFlags();
        return (flags.Contains("constant_tsc"), flags.Contains("nonstop_tsc")) switch
        {
            (true, true) => (GipMode.InvariantTsc, null),
            (true, false) => (GipMode.SyncTsc, "the TSC has a constant rate but may stop in deep sleep states (no nonstop_tsc)"),
            _ => (GipMode.AsyncTsc, "the TSC rate is not constant (no constant_tsc)"),
        };
    }

    /// <summary>The possible CPUs (/sys/devices/system/cpu/possible), at most 256.</summary>
    public static List<int> PossibleCpus()
    {
        var cpus = new List<int>();
        foreach (string range in ReadOrEmpty("/sys/devices/system/cpu/possible").Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] ends = range.Split('-');
            int first = int.Parse(ends[0], CultureInfo.InvariantCulture);
            int last = ends.Length > 1 ? int.Parse(ends[1], CultureInfo.InvariantCulture) : first;
            for (int cpu = first; cpu <= last && cpus.Count < 256; cpu++)
            {
                cpus.Add(cpu);
            }
        }

        return cpus.Count > 0 ? cpus : [.. Enumerable.Range(0, Math.Min(Environment.ProcessorCount, 256))];
    }

    /// <summary>
    /// This CPU's TSC minus CPU 0's, or null when the two cannot both be run on (offline, or outside
    /// the daemon's cpuset). The measuring thread on CPU 0 reads t0, hands over; the thread on
    /// <paramref name="cpu"/> reads t1 and hands back; CPU 0 reads t2. With a symmetric hand-over,
    /// t1 − (t0 + t2) / 2 is the delta; the sample with the smallest t2 − t0 is the least disturbed.
    /// </summary>
    public static long? MeasureDelta(int cpu)
    {
        if (cpu == 0)
        {
            return 0;
        }

        delegate* unmanaged[SuppressGCTransition]<ulong> rdtsc = Libc.TscReader();
        var state = new DeltaState();
        var remote = new Thread(() => Remote(state, cpu, rdtsc)) { IsBackground = true, Name = $"tsc-delta-{cpu}" };
        long? result = null;
        var local = new Thread(() => result = Local(state, rdtsc)) { IsBackground = true, Name = "tsc-delta-0" };
        remote.Start();
        local.Start();
        local.Join();
        remote.Join();
        return result;
    }

    private static long? Local(DeltaState state, delegate* unmanaged[SuppressGCTransition]<ulong> rdtsc)
    {
        if (Libc.PinThread(0) != Errno.None || !state.WaitReady())
        {
            Volatile.Write(ref state.Abort, 1);
            return null;
        }

        long bestRoundTrip = long.MaxValue;
        long best = 0;
        long deadline = Environment.TickCount64 + 1000;
        for (int i = 0; i < DeltaSamples; i++)
        {
            ulong t0 = rdtsc();
            Volatile.Write(ref state.Turn, (2 * i) + 1);
            while (Volatile.Read(ref state.Turn) != (2 * i) + 2)
            {
                if (Environment.TickCount64 > deadline)
                {
                    Volatile.Write(ref state.Abort, 1);
                    return null;
                }
            }

            ulong t2 = rdtsc();
            long roundTrip = (long)(t2 - t0);
            if (roundTrip < bestRoundTrip)
            {
                bestRoundTrip = roundTrip;
                best = (long)Volatile.Read(ref state.RemoteTsc) - (long)(t0 + ((t2 - t0) / 2));
            }
        }

        Volatile.Write(ref state.Turn, -1);
        return best;
    }

    private static void Remote(DeltaState state, int cpu, delegate* unmanaged[SuppressGCTransition]<ulong> rdtsc)
    {
        if (Libc.PinThread(cpu) != Errno.None || Libc.CurrentCpu() != cpu)
        {
            Volatile.Write(ref state.Abort, 1);
            return;
        }

        Volatile.Write(ref state.Ready, 1);
        int expected = 1;
        while (Volatile.Read(ref state.Abort) == 0)
        {
            int turn = Volatile.Read(ref state.Turn);
            if (turn == -1)
            {
                return;
            }

            if (turn == expected)
            {
                Volatile.Write(ref state.RemoteTsc, rdtsc());
                Volatile.Write(ref state.Turn, expected + 1);
                expected += 2;
            }
        }
    }

    private static HashSet<string> CpuFlags()
    {
        string? line = ReadOrEmpty("/proc/cpuinfo").Split('\n').FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
        return line is null ? [] : [.. line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)];
    }

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return string.Empty;
        }
        catch (UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    private sealed class DeltaState
    {
        public int Turn;
        public int Ready;
        public int Abort;
        public ulong RemoteTsc;

        public bool WaitReady()
        {
            long deadline = Environment.TickCount64 + 1000;
            while (Volatile.Read(ref Ready) == 0)
            {
                if (Volatile.Read(ref Abort) != 0 || Environment.TickCount64 > deadline)
                {
                    return false;
                }

                Thread.SpinWait(10);
            }

            return true;
        }
    }
}
