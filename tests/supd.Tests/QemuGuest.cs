using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Supd.Tests;

/// <summary>
/// One QEMU guest (TCG; the nested KVM here does not boot stock kernels) booted from
/// <see cref="GuestImage"/> with one virtio-net NIC on the back-end the test names. Its serial
/// console is QEMU's standard output, read line by line as it comes: <see cref="WaitForReady"/>
/// returns on the init's <c>SUPHOST-GUEST-READY</c> line, <see cref="WaitForExit"/> on
/// <c>SUPHOST-GUEST-EXIT</c> and QEMU's end, both woken by the reader rather than a sleep, and
/// both fail at once when the guest reports an error or QEMU ends early. Dispose kills QEMU by its
/// pid if it still runs and removes the guest's files.
/// </summary>
public sealed partial class QemuGuest : IDisposable
{
    private const string ReadyMarker = "SUPHOST-GUEST-READY ";
    private const string ExitMarker = "SUPHOST-GUEST-EXIT ";
    private const string ErrorMarker = "SUPHOST-GUEST-ERROR ";

    // arch/x86/include/asm/setup.h: COMMAND_LINE_SIZE, the terminating NUL included.
    private const int KernelCommandLineLimit = 2048;

    private readonly Process _process;
    private readonly string _directory;
    private readonly Thread _reader;
    private readonly Stopwatch _clock;
    private readonly object _gate = new();
    private readonly List<string> _lines = [];
    private readonly StringBuilder _qemuErrors = new();
    private string? _readyAddress;
    private TimeSpan _readyAfter;
    private int? _exitStatus;
    private string? _error;
    private bool _outputEnded;
    private int _disposed;

    private QemuGuest(string name, Process process, string directory, Stopwatch clock)
    {
        Name = name;
        _process = process;
        _directory = directory;
        _clock = clock;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_qemuErrors)
                {
                    _qemuErrors.AppendLine(e.Data);
                }
            }
        };
        _process.BeginErrorReadLine();
        _reader = new Thread(ReadConsole) { IsBackground = true, Name = $"qemu {name} console" };
        _reader.Start();
    }

    public string Name { get; }

    public int Pid => _process.Id;

    /// <summary>The serial console so far, one line per line.</summary>
    public string Output
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    /// <summary>What QEMU itself wrote to its standard error.</summary>
    public string QemuErrors
    {
        get
        {
            lock (_qemuErrors)
            {
                return _qemuErrors.ToString();
            }
        }
    }

    /// <summary>From starting QEMU to the ready line: BIOS, kernel, init, drivers and eth0 up.</summary>
    public TimeSpan ReadyAfter
    {
        get
        {
            lock (_gate)
            {
                return _readyAddress is null ? throw new InvalidOperationException($"{Name} is not ready") : _readyAfter;
            }
        }
    }

    /// <summary>Starts QEMU; returns as soon as it runs (see <see cref="WaitForReady"/>).</summary>
    public static QemuGuest Start(QemuGuestOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!MacPattern().IsMatch(options.Mac))
        {
            throw new ArgumentException($"MAC '{options.Mac}' is not six colon-separated hex bytes", nameof(options));
        }

        if (options.Netdev.Split(',').Any(part => part.StartsWith("id=", StringComparison.Ordinal)))
        {
            throw new ArgumentException($"netdev '{options.Netdev}' has an id; the guest gives it its own", nameof(options));
        }

        if (options.Command is not null && options.Command.AsSpan().IndexOfAny('"', '\n', '\r') >= 0)
        {
            throw new ArgumentException("a command with double quotes or newlines cannot go on the kernel command line; pass it as the script", nameof(options));
        }

        GuestImage image = GuestImage.Ensure();
        string directory = Directory.CreateTempSubdirectory("suphost-guest-").FullName;
        try
        {
            List<string> kernelArguments = ["console=ttyS0", "quiet", "panic=-1"];
            if (options.Address is not null)
            {
                kernelArguments.Add($"suphost.ip={options.Address}");
            }

            if (options.Command is not null)
            {
                kernelArguments.Add($"suphost.cmd=\"{options.Command}\"");
            }

            kernelArguments.AddRange(options.KernelArguments);
            string append = string.Join(' ', kernelArguments);
            if (Encoding.UTF8.GetByteCount(append) >= KernelCommandLineLimit)
            {
                throw new ArgumentException($"kernel command line of {Encoding.UTF8.GetByteCount(append)} bytes exceeds the limit {KernelCommandLineLimit - 1}; pass the command as the script", nameof(options));
            }

            var start = new ProcessStartInfo("qemu-system-x86_64")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                // The serial console reads QEMU's standard input: an open pipe nobody writes.
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            string[] arguments =
            [
                "-accel", "tcg",
                "-m", options.MemoryMiB.ToString(CultureInfo.InvariantCulture),
                // No default NIC, VGA, floppy or CD: only what is named here.
                "-nodefaults", "-no-user-config",
                "-display", "none", "-monitor", "none", "-serial", "stdio",
                // The guest's poweroff, and a panic (panic=-1 reboots), end QEMU.
                "-no-reboot",
                // qboot (qemu-system-data) jumps straight to -kernel; SeaBIOS's POST and option
                // ROMs cost 0.6-1.8 s more under TCG.
                "-bios", "qboot.rom",
                "-kernel", image.Kernel,
                "-initrd", image.Initrd,
                "-append", append,
                "-netdev", $"{options.Netdev},id=net0",
                "-device", $"virtio-net-pci,netdev=net0,mac={options.Mac}",
            ];
            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            if (options.Script is not null)
            {
                string script = Path.Combine(directory, "cmd.sh");
                File.WriteAllText(script, options.Script);
                start.ArgumentList.Add("-fw_cfg");
                // QEMU's option syntax doubles a comma inside a value.
                start.ArgumentList.Add($"name=opt/suphost/cmd,file={script.Replace(",", ",,", StringComparison.Ordinal)}");
            }

            var clock = Stopwatch.StartNew();
            Process process;
            try
            {
                process = Process.Start(start) ?? throw new InvalidOperationException("qemu-system-x86_64 did not start");
            }
            catch (Win32Exception e)
            {
                throw new InvalidOperationException($"qemu-system-x86_64 did not start ({e.Message}): .ci/run installs it (Debian's qemu-system-x86)", e);
            }

            return new QemuGuest(options.Name, process, directory, clock);
        }
        catch
        {
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    /// <summary>Waits for eth0 to be up; returns the address the guest printed ("none" without one).</summary>
    public string WaitForReady(TimeSpan timeout)
    {
        WaitUntil(() => _readyAddress is not null, "its ready line", timeout);
        lock (_gate)
        {
            return _readyAddress!;
        }
    }

    /// <summary>Waits for the command to finish and QEMU to end; returns the command's exit status.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        WaitUntil(() => _exitStatus is not null && _outputEnded, "its exit line and power-off", timeout);
        TimeSpan left = timeout - clock.Elapsed;
        if (!_process.WaitForExit(left > TimeSpan.Zero ? left : TimeSpan.Zero))
        {
            throw new TimeoutException($"{Name}: QEMU (pid {Pid}) closed its console but did not end within {timeout.TotalSeconds} s");
        }

        lock (_gate)
        {
            return _exitStatus!.Value;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }

            _process.WaitForExit();
        }
        catch (InvalidOperationException)
        {
            // It ended between the check and the kill: nothing left to stop.
        }

        _reader.Join();
        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private void WaitUntil(Func<bool> reached, string what, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        lock (_gate)
        {
            while (!reached())
            {
                if (_error is not null)
                {
                    throw new InvalidOperationException($"{Name} failed before {what}: {_error}\n{Describe()}");
                }

                if (_outputEnded)
                {
                    throw new InvalidOperationException($"{Name}: QEMU ended before {what}\n{Describe()}");
                }

                TimeSpan left = timeout - clock.Elapsed;
                if (left <= TimeSpan.Zero)
                {
                    throw new TimeoutException($"{Name}: no {what} within {timeout.TotalSeconds} s\n{Describe()}");
                }

                Monitor.Wait(_gate, left);
            }
        }
    }

    /// <summary>The end of the console and QEMU's errors, for a failure message (called under the gate).</summary>
    private string Describe()
    {
        const int Tail = 60;
        IEnumerable<string> tail = _lines.Count > Tail ? _lines.Skip(_lines.Count - Tail) : _lines;
        return $"--- console ({_lines.Count} lines, last {Math.Min(Tail, _lines.Count)}):\n{string.Join('\n', tail)}\n--- qemu stderr:\n{QemuErrors}";
    }

    private void ReadConsole()
    {
        while (true)
        {
            string? line = _process.StandardOutput.ReadLine();
            lock (_gate)
            {
                if (line is null)
                {
                    _outputEnded = true;
                }
                else
                {
                    _lines.Add(line);
                    Interpret(line);
                }

                Monitor.PulseAll(_gate);
            }

            if (line is null)
            {
                return;
            }
        }
    }

    /// <summary>The init's marker lines (scripts/guest/init), each at the start of its line.</summary>
    private void Interpret(string line)
    {
        if (line.StartsWith(ReadyMarker, StringComparison.Ordinal) && _readyAddress is null)
        {
            _readyAddress = line[ReadyMarker.Length..].Trim();
            _readyAfter = _clock.Elapsed;
        }
        else if (line.StartsWith(ExitMarker, StringComparison.Ordinal) && _exitStatus is null
            && int.TryParse(line.AsSpan(ExitMarker.Length).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int status))
        {
            _exitStatus = status;
        }
        else if (line.StartsWith(ErrorMarker, StringComparison.Ordinal))
        {
            _error ??= line[ErrorMarker.Length..].Trim();
        }
    }

    [GeneratedRegex("^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}$", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex MacPattern();
}
