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

    /// <summary>A child process on one CPU; a negative CPU: on every CPU (<see cref="Unpinned"/>).</summary>
    public static ProcessStartInfo Pinned(int cpu, string file, params string[] args) =>
        cpu < 0 ? Unpinned(file, args) : Pinned(cpu.ToString(System.Globalization.CultureInfo.InvariantCulture), file, args);

    /// <summary>Every online CPU: a child of a pinned thread would inherit its one CPU otherwise.</summary>
    public static ProcessStartInfo Unpinned(string file, params string[] args) =>
        Pinned(File.ReadAllText("/sys/devices/system/cpu/online").Trim(), file, args);

    private static ProcessStartInfo Pinned(string cpuList, string file, string[] args)
    {
        var start = new ProcessStartInfo("taskset") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(cpuList);
        start.ArgumentList.Add(file);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }
}
