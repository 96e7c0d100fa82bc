using System.Diagnostics;

namespace Supd.Tests;

/// <summary>Runs a program to completion and returns its exit code and output.</summary>
public static class Tool
{
    public static (int ExitCode, string Stdout, string Stderr) Run(string file, params string[] args) => Run(file, args, stdin: null);

    public static (int ExitCode, string Stdout, string Stderr) Run(string file, IEnumerable<string> args, string? stdin, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        if (environment is not null)
        {
            foreach ((string key, string value) in environment)
            {
                start.Environment[key] = value;
            }
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }

        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 120 s");
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs supctl from the test's output directory.</summary>
    /// <summary>A random name part: <paramref name="bytes"/> random bytes in lower-case hex.</summary>
    public static string Hex(int bytes) => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(bytes));

    /// <summary>Whether <paramref name="device"/> exists in the network namespace <paramref name="ns"/>.</summary>
    public static bool LinkExists(string ns, string device) => Run("ip", "-n", ns, "link", "show", device).ExitCode == 0;

    public static (int ExitCode, string Stdout, string Stderr) Supctl(params string[] args) =>
        Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "supctl.dll"), .. args], stdin: null);

    /// <summary>
    /// Starts the test peer holding something (<c>hold</c>, <c>hold-module</c>) and returns it with
    /// the session id from its "READY n" line; it waits on its standard input until killed.
    /// </summary>
    public static (Process Peer, uint SessionId) StartHoldingPeer(params string[] args)
    {
        string[] command = PeerCommand(args);
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (string arg in command[1..])
        {
            start.ArgumentList.Add(arg);
        }

        Process peer = Process.Start(start) ?? throw new InvalidOperationException("the test peer did not start");
        string? ready = peer.StandardOutput.ReadLine();
        if (ready is null || !ready.StartsWith("READY ", StringComparison.Ordinal))
        {
            peer.Kill();
            peer.Dispose();
            throw new InvalidOperationException($"the test peer said '{ready}' instead of READY");
        }

        return (peer, uint.Parse(ready[6..], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The test peer's command line, for running it directly or under setpriv.</summary>
    public static string[] PeerCommand(params string[] args) => ["dotnet", Path.Combine(AppContext.BaseDirectory, "SupHost.TestPeer.dll"), .. args];
}
