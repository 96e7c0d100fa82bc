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

    public static ProcessStartInfo Pinned(int cpu, string file, params string[] args)
    {
        var start = new ProcessStartInfo("taskset") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add("-c");
        // A negative CPU: every CPU (the process floats).
        start.ArgumentList.Add(cpu < 0 ? $"0-{Environment.ProcessorCount - 1}" : cpu.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add(file);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }
}
