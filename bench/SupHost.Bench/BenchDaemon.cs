using System.Diagnostics;
using SupHost.Client;
using SupHost.Protocol;

namespace SupHost.Bench;

/// <summary>The real supd in a temporary run directory, pinned to one CPU.</summary>
internal sealed class BenchDaemon : IDisposable
{
    private readonly Process _process;
    private readonly string _dir;

    /// <summary>Starts supd pinned to <paramref name="cpu"/> (every CPU when null or negative), with the configuration <paramref name="configJson"/> when given.</summary>
    public BenchDaemon(int? cpu, string? configJson = null)
    {
        _dir = Directory.CreateTempSubdirectory("supd-bench-").FullName;

        // Other users (the stress scenario's peers) must reach the sockets inside: 0755.
        File.SetUnixFileMode(_dir, (UnixFileMode)0x1ed);
        RunDir = Path.Combine(_dir, "run");
        List<string> args = [Path.Combine(AppContext.BaseDirectory, "supd.dll"), "--run-dir", RunDir];
        if (configJson is not null)
        {
            string config = Path.Combine(_dir, "supd.json");
            File.WriteAllText(config, configJson);
            args.AddRange(["--config", config]);
        }

        ProcessStartInfo start = cpu is int pinned and >= 0 ? Affinity.Pinned(pinned, "dotnet", [.. args]) : Affinity.Unpinned("dotnet", [.. args]);
        _process = Process.Start(start)!;
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
