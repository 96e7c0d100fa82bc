using System.Diagnostics;

namespace SupHost.Bench;

/// <summary>
/// CPU pinning. The measuring code runs on the main thread, whose affinity
/// <see cref="Process.ProcessorAffinity"/> sets; child processes are started under taskset so that
/// every thread they create inherits the mask.
/// </summary>
internal static class Affinity
{
    public static void PinMainThread(int cpu) => Process.GetCurrentProcess().ProcessorAffinity = 1 << cpu;

    /// <summary>A child process on one CPU; a negative CPU: on every CPU (the process floats).</summary>
    public static ProcessStartInfo Pinned(int cpu, string file, params string[] args) =>
        Pinned(cpu < 0 ? $"0-{Environment.ProcessorCount - 1}" : cpu.ToString(System.Globalization.CultureInfo.InvariantCulture), file, args);

    /// <summary>As above, on a CPU list of taskset's ("0-1").</summary>
    public static ProcessStartInfo Pinned(string cpus, string file, params string[] args)
    {
        var start = new ProcessStartInfo("taskset") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(cpus);
        start.ArgumentList.Add(file);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }
}
