using System.Diagnostics;
using System.Globalization;

namespace SupHost.Bench;

/// <summary>
/// A C program from <c>native/</c>, compiled with gcc at run time, that prints one sample in
/// nanoseconds a line: the floor a scenario is compared with. Without gcc the floor is skipped.
/// </summary>
internal sealed class NativeFloor : IDisposable
{
    private NativeFloor(string binary) => Binary = binary;

    public string Binary { get; }

    /// <summary>Compiles <paramref name="sourceName"/>; null (with a note on stderr) when gcc is missing or fails.</summary>
    public static NativeFloor? Build(string sourceName)
    {
        string source = Path.Combine(AppContext.BaseDirectory, "native", sourceName);
        string binary = Path.Combine(Path.GetTempPath(), $"suphost-{Path.GetFileNameWithoutExtension(sourceName)}-{Environment.ProcessId}");
        try
        {
            using Process? gcc = Process.Start(new ProcessStartInfo("gcc", ["-O2", "-o", binary, source]) { UseShellExecute = false });
            gcc?.WaitForExit();
            if (gcc?.ExitCode == 0)
            {
                return new NativeFloor(binary);
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No gcc: reported below.
        }

        Console.Error.WriteLine($"gcc could not build {sourceName}: its C floor is skipped");
        return null;
    }

    /// <summary>Runs it with <paramref name="args"/>; returns the samples in Stopwatch ticks, to merge with the others.</summary>
    public long[] Run(params int[] args)
    {
        var start = new ProcessStartInfo(Binary, args.Select(a => a.ToString(CultureInfo.InvariantCulture)))
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using Process process = Process.Start(start)!;
        string[] lines = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        process.WaitForExit();
        return lines.Select(l => (long)(long.Parse(l, CultureInfo.InvariantCulture) * (Stopwatch.Frequency / 1e9))).ToArray();
    }

    public void Dispose() => File.Delete(Binary);
}
