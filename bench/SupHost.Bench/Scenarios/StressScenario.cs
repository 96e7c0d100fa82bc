using System.Diagnostics;
using SupHost.Client;
using SupHost.Protocol;

namespace SupHost.Bench.Scenarios;

/// <summary>
/// stress: the lock-out and exhaustion attempts of issue 9, replayed against the real daemon on
/// its default configuration, with numbers. Needs root: it creates two throwaway users (one not in
/// the socket group, one in it), runs the hostile side as them (<see cref="StressPeer"/>), and
/// removes them by name at the end.
/// </summary>
/// <remarks>
/// Figures, each next to its anchor from the same run: sessions a non-member holds with 1,100
/// silent connections (anchor: the session limit); a member's connect + handshake during that
/// flood (anchor: the same before it); the sessions left of the flood after the handshake
/// deadline; the daemon's RSS with 300 connections that each sent one oversized datagram, and once
/// they closed and the daemon settled (anchor: RSS at start); pages and locked pages one member uid
/// can take over many sessions (anchor: the daemon's totals) and whether another uid still gets a
/// page and a locked page.
/// </remarks>
internal static class StressScenario
{
    public static List<Measurement> Run(int iterations)
    {
        if (SupHost.Native.Libc.EffectiveUserId != 0)
        {
            throw new InvalidOperationException("the stress scenario creates users and must run as root");
        }

        var results = new List<Measurement>();
        string suffix = Guid.NewGuid().ToString("N")[..6];
        string outsider = $"supst{suffix}o";
        string member = $"supst{suffix}m";
        using var daemon = new BenchDaemon(1);
        using var users = new Users();
        users.Add(outsider, groups: null);
        users.Add(member, groups: "suphost");
        using SupClient observer = daemon.Connect();
        StatusInfo start = observer.QueryStatus();

        // The bench daemon runs on the default configuration: its limits are the options' defaults.
        var defaults = new SupHost.Driver.DriverOptions { RunDirectory = daemon.RunDir };
        long rssStart = observer.QueryStatus().ResidentBytes / 1024;
        int connects = Math.Max(20, iterations / 1000);

        // 1. Idle connections from a non-member on the world-writable socket.
        (double idleConnect, _) = MedianConnectMs(daemon, connects);
        using (Peer flood = Peer.Start(outsider, "idle", daemon.RunDir, 1100))
        {
            int held = observer.ListSessions().Count(s => s.Uid == Users.Uid(outsider));
            (double underFlood, int refused) = MedianConnectMs(daemon, connects);
            results.Add(new Measurement("outsider_sessions_of_1100_connections", held, "", "max_sessions", defaults.MaxSessions));
            results.Add(new Measurement("member_connect_ms_during_flood", underFlood, "ms", "member_connect_ms_before", idleConnect));
            results.Add(new Measurement("member_connects_refused_during_flood", refused, "", "member_connects_tried", connects));
            results.Add(new Measurement("outsider_connections_accepted", flood.Held, "", "connections_tried", 1100));

            // What is left of the flood once the handshake deadline has passed for all of it.
            Thread.Sleep(TimeSpan.FromSeconds(12));
            int left = observer.ListSessions().Count(s => s.Uid == Users.Uid(outsider));
            results.Add(new Measurement("outsider_sessions_12s_later", left, "", "outsider_sessions_at_first", held));
        }

        // 2. Oversized datagrams on idle connections: what the daemon keeps per connection.
        using (Peer oversized = Peer.Start(outsider, "oversized", daemon.RunDir, 300, 200_000))
        {
            results.Add(new Measurement("rss_kib_with_300_oversized_connections", observer.QueryStatus().ResidentBytes / 1024, "KiB", "rss_kib_at_start", rssStart));
        }

        // 3. One member uid taking pages and locked pages over many sessions; then another uid.
        foreach ((string mode, string figure, long total) in new[] { ("pages", "pages", defaults.MaxPagesTotal), ("locked", "locked_pages", defaults.MaxLockedPages) })
        {
            using Peer hog = Peer.Start(member, mode, daemon.RunDir, mode == "pages" ? 131072 : 4096);
            results.Add(new Measurement($"{figure}_one_uid_took", hog.Held, "pages", $"{figure}_daemon_total", total));
            using SupClient other = daemon.Connect();
            bool got;
            try
            {
                using SharedMemory page = other.AllocatePages(1);
                if (mode == "locked")
                {
                    page.Lock();
                }

                got = true;
            }
            catch (SupException)
            {
                got = false;
            }

            results.Add(new Measurement($"another_uid_got_one_{figure.TrimEnd('s')}", got ? 1 : 0, "", "expected", 1));
        }

        // 4. Everything is closed: the footprint once the daemon has settled.
        long settles = observer.QueryStatus().FootprintSettles;
        using (daemon.Connect())
        {
        }

        var clock = Stopwatch.StartNew();
        while (observer.QueryStatus().FootprintSettles == settles && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            Thread.Sleep(100);
        }

        results.Add(new Measurement("rss_kib_settled_after_all", observer.QueryStatus().ResidentBytes / 1024, "KiB", "rss_kib_at_start", rssStart));
        results.Add(new Measurement("descriptors_held_after_all", observer.QueryStatus().DescriptorsHeld, "", "descriptors_held_at_start", start.DescriptorsHeld));
        return results;
    }

    /// <summary>The median time of a member's connect + handshake, and how many of them were refused.</summary>
    private static (double Median, int Refused) MedianConnectMs(BenchDaemon daemon, int count)
    {
        var samples = new List<double>(count);
        int refused = 0;
        for (int i = 0; i < count; i++)
        {
            long t = Stopwatch.GetTimestamp();
            try
            {
                using SupClient client = daemon.Connect();
            }
            catch (SupException)
            {
                refused++;
            }

            samples.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }

        samples.Sort();
        return (samples[samples.Count / 2], refused);
    }

    /// <summary>A <see cref="StressPeer"/> child running as another user.</summary>
    private sealed class Peer : IDisposable
    {
        private readonly Process _process;

        private Peer(Process process, long held)
        {
            _process = process;
            Held = held;
        }

        public long Held { get; }

        public static Peer Start(string user, string mode, string runDir, int count, int bytes = 0)
        {
            var start = new ProcessStartInfo("setpriv") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string arg in (string[])["--reuid", user, "--regid", user, "--init-groups", "--", "env", "HOME=/tmp", "DOTNET_CLI_TELEMETRY_OPTOUT=1",
                "dotnet", Path.Combine(AppContext.BaseDirectory, "SupHost.Bench.dll"), "--stress-peer", mode, runDir, $"{count}", $"{bytes}"])
            {
                start.ArgumentList.Add(arg);
            }

            Process process = Process.Start(start)!;
            string? line = process.StandardOutput.ReadLine();
            if (line is null || !line.StartsWith("held ", StringComparison.Ordinal))
            {
                string error = process.StandardError.ReadToEnd();
                process.Kill();
                process.Dispose();
                throw new InvalidOperationException($"the {mode} peer as {user} failed: {line} {error}");
            }

            return new Peer(process, long.Parse(line[5..], System.Globalization.CultureInfo.InvariantCulture));
        }

        public void Dispose()
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(30_000))
            {
                _process.Kill();
            }

            _process.Dispose();
        }
    }

    /// <summary>Throwaway users, removed by name.</summary>
    private sealed class Users : IDisposable
    {
        private readonly List<string> _names = [];

        public void Add(string name, string? groups)
        {
            Run("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", .. groups is null ? Array.Empty<string>() : ["--groups", groups], name]);
            _names.Add(name);
        }

        public static uint Uid(string name) => uint.Parse(Run("id", ["-u", name]).Trim(), System.Globalization.CultureInfo.InvariantCulture);

        public void Dispose()
        {
            foreach (string name in _names)
            {
                Run("userdel", [name]);
            }
        }

        private static string Run(string file, string[] args)
        {
            var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            using Process process = Process.Start(start)!;
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? output : throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {process.StandardError.ReadToEnd()}");
        }
    }
}
