using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using SupHost.Client;
using SupHost.Native;

namespace Supd.Tests;

/// <summary>
/// The real supd, started in a fresh run directory. Start returns once the daemon has
/// sent READY=1 on the NOTIFY_SOCKET the test gave it (sd_notify), never after a fixed sleep.
/// </summary>
public sealed class Daemon : IDisposable
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(60);
    private readonly StringBuilder _output = new();
    private readonly string _baseDir;

    private Daemon(Process process, string baseDir, string runDir)
    {
        Process = process;
        _baseDir = baseDir;
        RunDir = runDir;
    }

    /// <summary>The modules a daemon started without a configuration holds for its whole life: the default start modules (intnet, netadp).</summary>
    public const int StartModuleCount = 2;

    /// <summary>The default start modules, by name.</summary>
    public static readonly string[] StartModules = ["intnet", "netadp"];

    /// <summary>
    /// The component factories the default start modules register for their whole life: intnet's
    /// "IntNet" (driver ports, docs/modules.md §13) and netadp's "NetAdp" (its trunk factory).
    /// </summary>
    public const int StartModuleFactoryCount = 2;

    /// <summary>Whether a factory listed by the daemon is one of a default start module's.</summary>
    public static bool IsStartModuleFactory(SupHost.Protocol.FactoryInfo factory) =>
        StartModules.Any(m => string.Equals(factory.Owner, $"module {m}", StringComparison.Ordinal));

    public Process Process { get; }

    public string RunDir { get; }

    public int Pid => Process.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static Daemon Start(params string[] extraArgs) => Start(null, extraArgs);

    /// <summary>Starts supd with a configuration file holding <paramref name="json"/>, kept in the daemon's temporary directory.</summary>
    public static Daemon StartWithConfig(string json, params string[] extraArgs) => Start(null, extraArgs, configJson: json);

    /// <summary>
    /// Starts supd. <paramref name="runDir"/> null: a new directory; the daemon gets it through
    /// --run-dir unless <paramref name="extraArgs"/> or the environment says otherwise.
    /// </summary>
    public static Daemon Start(string? runDir, string[] extraArgs, IDictionary<string, string>? environment = null, bool passRunDir = true, string? configJson = null)
    {
        string baseDir = Directory.CreateTempSubdirectory("supd-test-").FullName;
        if (configJson is not null)
        {
            string config = Path.Combine(baseDir, "supd.json");
            File.WriteAllText(config, configJson);
            extraArgs = ["--config", config, .. extraArgs];
        }


        // Other users (the permission tests) must reach the sockets inside.
        File.SetUnixFileMode(baseDir, (UnixFileMode)0x1ed);
        runDir ??= Path.Combine(baseDir, "run");
        string notifyPath = Path.Combine(baseDir, "notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));

        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "supd.dll"));
        if (passRunDir)
        {
            start.ArgumentList.Add("--run-dir");
            start.ArgumentList.Add(runDir);
        }

        foreach (string arg in extraArgs)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["NOTIFY_SOCKET"] = notifyPath;
        start.Environment.Remove("SUPHOST_RUN_DIR");
        if (environment is not null)
        {
            foreach ((string key, string value) in environment)
            {
                start.Environment[key] = value;
            }
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var daemon = new Daemon(process, baseDir, runDir);
        process.OutputDataReceived += (_, e) => daemon.Append(e.Data);
        process.ErrorDataReceived += (_, e) => daemon.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        // Wait for READY=1, or for the daemon to exit (a refused start), whichever comes first.
        Task<int> received = notify.ReceiveAsync(new byte[4096], SocketFlags.None);
        Task exited = process.WaitForExitAsync();
        Task first = Task.WhenAny(received, exited, Task.Delay(s_startTimeout)).GetAwaiter().GetResult();
        if (first != received)
        {
            string why = process.HasExited ? $"exited with {process.ExitCode}" : $"sent no READY=1 within {s_startTimeout.TotalSeconds} s";
            daemon.Dispose();
            throw new InvalidOperationException($"supd {why}:\n{daemon.Output}");
        }

        return daemon;
    }

    /// <summary>Runs a daemon expected to refuse to start; returns its exit code and output.</summary>
    public static (int ExitCode, string Output) RunExpectingRefusal(params string[] args)
    {
        (int code, string stdout, string stderr) = Tool.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "supd.dll"), .. args], stdin: null);
        return (code, stdout + stderr);
    }

    /// <summary>
    /// Waits until the daemon has logged <paramref name="text"/>: its output reaches the test
    /// through a pipe read asynchronously, so a line written before an event may arrive after it.
    /// </summary>
    public void WaitForOutput(string text) =>
        Poll.Until(() => Output.Contains(text, StringComparison.Ordinal), () => $"the daemon to log '{text}'; it logged:\n{Output}");

    public SupClient Connect(SupEndpoint endpoint = SupEndpoint.Full) =>
        SupClient.Connect(new SupClientOptions { RunDirectory = RunDir, Endpoint = endpoint, Timeout = TimeSpan.FromSeconds(30) });

    /// <summary>
    /// The daemon's open descriptors, less the assembly files the runtime maps as it first uses
    /// them and the symbol files it opens for an exception's first stack trace (those come and
    /// stay with the process, whatever the sessions do).
    /// </summary>
    public int FdCount() => Directory.GetFileSystemEntries($"/proc/{Pid}/fd").Count(f =>
    {
        try
        {
            string? target = new FileInfo(f).LinkTarget;
            return target?.EndsWith(".dll", StringComparison.Ordinal) != true && target?.EndsWith(".pdb", StringComparison.Ordinal) != true;
        }
        catch (IOException)
        {
            return false;
        }
    });

    /// <summary>The daemon's mappings of shared-memory allocations (lines of /proc/PID/maps naming a suphost memfd).</summary>
    public int MemfdMappings() =>
        File.ReadLines($"/proc/{Pid}/maps").Count(l => l.Contains("/memfd:suphost-", StringComparison.Ordinal));

    /// <summary>The daemon's resident set (VmRSS of /proc/PID/status, proc(5)), in KiB.</summary>
    public long ResidentKiB() => StatusKiB("VmRSS:");

    /// <summary>The daemon's locked memory (VmLck of /proc/PID/status), in KiB.</summary>
    public long LockedKiB() => StatusKiB("VmLck:");

    /// <summary>What the daemon's descriptors point at, for a failure message.</summary>
    public string FdTargets() => string.Join(", ", Directory.GetFileSystemEntries($"/proc/{Pid}/fd")
        .Select(f => { try { return new FileInfo(f).LinkTarget ?? "?"; } catch (IOException) { return "gone"; } })
        .GroupBy(t => t.StartsWith("socket:", StringComparison.Ordinal) ? "socket" : t.StartsWith("anon_inode:", StringComparison.Ordinal) ? t : Path.GetFileName(t))
        .OrderBy(g => g.Key, StringComparer.Ordinal)
        .Select(g => $"{g.Key} x{g.Count()}"));

    /// <summary>Sends SIGTERM and waits for the exit code.</summary>
    public int Terminate()
    {
        Libc.Kill(Pid, Libc.SIGTERM);
        if (!Process.WaitForExit(30_000))
        {
            throw new InvalidOperationException("supd did not stop within 30 s of SIGTERM");
        }

        Process.WaitForExit();
        return Process.ExitCode;
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            try
            {
                Terminate();
            }
            catch (InvalidOperationException)
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit();
            }
        }

        Process.Dispose();
        Directory.Delete(_baseDir, recursive: true);
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private long StatusKiB(string field) => long.Parse(
        File.ReadLines($"/proc/{Pid}/status").First(l => l.StartsWith(field, StringComparison.Ordinal))[field.Length..].Trim().Split(' ')[0],
        System.Globalization.CultureInfo.InvariantCulture);
}
