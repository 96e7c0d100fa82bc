using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace SupHost.Bench;

/// <summary>
/// A QEMU guest (TCG) booted from the test guest image (scripts/guest-image.sh, cached), with one
/// virtio-net NIC on the back-end given, running one command; its serial console is collected
/// until it powers off. docs/guest-image.md describes the guest side.
/// </summary>
internal sealed partial class BenchGuest : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _console;

    private BenchGuest(Process process)
    {
        _process = process;
        _console = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
    }

    public static BenchGuest Start((string Kernel, string Initrd) image, string netdev, string mac, string address, string command)
    {
        var start = new ProcessStartInfo("qemu-system-x86_64")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        string[] arguments =
        [
            "-accel", "tcg", "-m", "256", "-nodefaults", "-no-user-config",
            "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot", "-bios", "qboot.rom",
            "-kernel", image.Kernel, "-initrd", image.Initrd,
            "-append", $"console=ttyS0 quiet panic=-1 suphost.ip={address} suphost.cmd=\"{command}\"",
            "-netdev", $"{netdev},id=net0", "-device", $"virtio-net-pci,netdev=net0,mac={mac}",
        ];
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return new BenchGuest(Process.Start(start) ?? throw new InvalidOperationException("qemu-system-x86_64 did not start"));
    }

    /// <summary>The image's kernel and initramfs: the script builds them once and names the cache directory on its last line.</summary>
    public static (string Kernel, string Initrd) Image()
    {
        string? script = null;
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null && script is null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, "scripts", "guest-image.sh");
            script = File.Exists(candidate) ? candidate : null;
        }

        if (script is null)
        {
            throw new FileNotFoundException($"no scripts/guest-image.sh above {AppContext.BaseDirectory}");
        }

        var start = new ProcessStartInfo("bash", [script]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(20)) || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{script} failed: {stderr.Result}");
        }

        string directoryName = stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
        return (Path.Combine(directoryName, "vmlinuz"), Path.Combine(directoryName, "initramfs.cpio.gz"));
    }

    /// <summary>The console once the guest powered off (killed after <paramref name="timeout"/>).</summary>
    public string WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill();
            _process.WaitForExit();
            throw new TimeoutException($"a guest ran over {timeout.TotalSeconds} s: {(_console.IsCompleted ? _console.Result : string.Empty)}");
        }

        return _console.Result;
    }

    /// <summary>iperf3's receiver rate in the console, in Mbit/s.</summary>
    public static double ReceiverMegabits(string console)
    {
        Match receiver = ReceiverLine().Match(console);
        if (!receiver.Success)
        {
            throw new InvalidOperationException($"no iperf3 receiver summary:\n{console}");
        }

        double rate = double.Parse(receiver.Groups["rate"].Value, CultureInfo.InvariantCulture);
        return receiver.Groups["unit"].Value switch
        {
            "K" => rate / 1000,
            "G" => rate * 1000,
            _ => rate,
        };
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    [GeneratedRegex(@"sec\s+[\d.]+ [KMG]Bytes\s+(?<rate>[\d.]+) (?<unit>[KMG])bits/sec\s+receiver", RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 5000)]
    private static partial Regex ReceiverLine();
}
