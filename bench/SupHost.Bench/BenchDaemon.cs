using System.Diagnostics;
using SupHost.Client;
using SupHost.Protocol;

namespace SupHost.Bench;

/// <summary>The real supd in a temporary run directory, pinned to one CPU.</summary>
internal sealed class BenchDaemon : IDisposable
{
    private readonly Process _process;
    private readonly string _dir;

    public BenchDaemon(int cpu)
        : this(cpu.ToString(System.Globalization.CultureInfo.InvariantCulture))
    {
    }

    /// <summary>Pinned to a CPU list of taskset's ("0-1": every CPU of a two-CPU machine).</summary>
    public BenchDaemon(string cpus)
    {
        _dir = Directory.CreateTempSubdirectory("supd-bench-").FullName;

        // Other users (the stress scenario's peers) must reach the sockets inside: 0755.
        File.SetUnixFileMode(_dir, (UnixFileMode)0x1ed);
        RunDir = Path.Combine(_dir, "run");
        _process = Process.Start(Affinity.Pinned(cpus, "dotnet", Path.Combine(AppContext.BaseDirectory, "supd.dll"), "--run-dir", RunDir))!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // Wait for the socket to answer a handshake: the bench's readiness signal, with a deadline.
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using SupClient probe = Connect();
                return;
            }
            catch (SupException ex) when (ex.Status == SupStatus.DaemonNotRunning && clock.Elapsed < TimeSpan.FromSeconds(60) && !_process.HasExited)
            {
                Thread.Sleep(20);
            }
        }
    }

    public string RunDir { get; }

    /// <summary>The daemon's process id (for its CPU time).</summary>
    public int Pid => _process.Id;

    public SupClient Connect() => SupClient.Connect(new SupClientOptions { RunDirectory = RunDir });

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            SupHost.Native.Libc.Kill(_process.Id, SupHost.Native.Libc.SIGTERM);
            if (!_process.WaitForExit(30_000))
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
