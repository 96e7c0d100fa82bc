using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using SupHost.Client;
using SupHost.Protocol;

namespace SupHost.Bench.Scenarios;

/// <summary>
/// intnet-tap: two network namespaces joined by IntNet through two NetAdp adapters (TAPs with
/// virtio-net headers and TSO), next to the same two namespaces joined by a Linux bridge over two
/// veth pairs and by <c>vde_switch -t A -t B</c> (Debian's vde2: TAPs without offloads), one after
/// the other in one run: iperf3 TCP single stream (Gbit/s), 64-byte UDP delivered packets per
/// second, ping RTT, and the switch process's CPU time over the TCP run (the bridge's is the
/// kernel's: not a process). Needs root, iperf3 and vde2. Bar: TCP at least 0.6x the bridge.
/// </summary>
internal static class TapScenario
{
    private const int TcpSeconds = 5;
    private const int UdpSeconds = 3;
    private const int Pings = 200;

    public static List<Measurement> Run(int iterations)
    {
        if (SupHost.Native.Libc.EffectiveUserId != 0)
        {
            throw new InvalidOperationException("the intnet-tap scenario makes namespaces and TAPs and must run as root");
        }

        _ = iterations;
        string suffix = Guid.NewGuid().ToString("N")[..5];
        Figures bridge = WithNamespaces(suffix + "br", (a, b) => Bridge(suffix, a, b));
        Figures intnet = WithNamespaces(suffix + "in", (a, b) => IntNet(suffix, a, b));
        Figures vde = WithNamespaces(suffix + "vd", (a, b) => Vde(suffix, a, b));
        return
        [
            new("intnet-tap TCP single stream", intnet.TcpGbits, "Gbit/s", "linux bridge, two veths", bridge.TcpGbits),
            new("vde_switch TCP single stream", vde.TcpGbits, "Gbit/s", "linux bridge, two veths", bridge.TcpGbits),
            new("intnet-tap UDP 64 B delivered", intnet.UdpKpps, "kpps", "linux bridge, two veths", bridge.UdpKpps),
            new("vde_switch UDP 64 B delivered", vde.UdpKpps, "kpps", "linux bridge, two veths", bridge.UdpKpps),
            new("intnet-tap ping RTT avg", intnet.RttMicroseconds, "us", "linux bridge, two veths", bridge.RttMicroseconds),
            new("vde_switch ping RTT avg", vde.RttMicroseconds, "us", "linux bridge, two veths", bridge.RttMicroseconds),
            new("intnet-tap supd CPU over TCP run", intnet.SwitchCpuSeconds, "s", "TCP run wall time", TcpSeconds),
            new("vde_switch CPU over TCP run", vde.SwitchCpuSeconds, "s", "TCP run wall time", TcpSeconds),
        ];
    }

    /// <summary>Two namespaces made for one switch, measured, and removed by name whatever happens.</summary>
    private static Figures WithNamespaces(string tag, Func<string, string, Figures> run)
    {
        string a = $"supbn{tag}a";
        string b = $"supbn{tag}b";
        Must("ip", "netns", "add", a);
        try
        {
            Must("ip", "netns", "add", b);
            try
            {
                return run(a, b);
            }
            finally
            {
                _ = Exec("ip", "netns", "del", b);
            }
        }
        finally
        {
            _ = Exec("ip", "netns", "del", a);
        }
    }

    private static Figures Bridge(string suffix, string a, string b)
    {
        string bridge = $"supbr{suffix}";
        string switchNs = $"supbn{suffix}brs";
        Must("ip", "netns", "add", switchNs);
        try
        {
            Must("ip", "-n", switchNs, "link", "add", bridge, "type", "bridge");
            Must("ip", "-n", switchNs, "link", "set", bridge, "up");
            foreach ((string ns, string end, string address) in new[] { (a, "a", "10.91.0.1/24"), (b, "b", "10.91.0.2/24") })
            {
                string inside = $"supv{suffix}{end}";
                string outside = $"supw{suffix}{end}";
                Must("ip", "link", "add", inside, "netns", ns, "type", "veth", "peer", "name", outside, "netns", switchNs);
                Must("ip", "-n", switchNs, "link", "set", outside, "master", bridge, "up");
                Up(ns, inside, address);
            }

            return Measure(a, b, "10.91.0.2", switchPid: null);
        }
        finally
        {
            _ = Exec("ip", "netns", "del", switchNs);
        }
    }

    private static Figures IntNet(string suffix, string a, string b)
    {
        using var daemon = new BenchDaemon(null);
        using SupClient client = daemon.Connect();
        string network = $"bench-tap-{suffix}";
        foreach ((string ns, string end, string address) in new[] { (a, "a", "10.92.0.1/24"), (b, "b", "10.92.0.2/24") })
        {
            string name = $"supt{suffix}{end}";
            AddAdapter(client, $$"""{"name":"{{name}}","netns":"{{ns}}","network":"{{network}}"}""");
            Must("ip", "-n", ns, "addr", "add", address, "dev", name);
            Must("ip", "-n", ns, "link", "set", "lo", "up");
        }

        return Measure(a, b, "10.92.0.2", daemon.Pid);
    }

    private static Figures Vde(string suffix, string a, string b)
    {
        string tapA = $"supd{suffix}a";
        string tapB = $"supd{suffix}b";
        var start = new ProcessStartInfo("vde_switch") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in new[] { "-t", tapA, "-t", tapB, "-s", Path.Combine(Path.GetTempPath(), $"supvde{suffix}") })
        {
            start.ArgumentList.Add(argument);
        }

        using Process vde = Process.Start(start) ?? throw new InvalidOperationException("vde_switch did not start");
        try
        {
            Poll(() => Exec("ip", "link", "show", tapB).Code == 0, "vde_switch's TAPs");
            Must("ip", "link", "set", tapA, "netns", a);
            Must("ip", "link", "set", tapB, "netns", b);
            Up(a, tapA, "10.93.0.1/24");
            Up(b, tapB, "10.93.0.2/24");
            return Measure(a, b, "10.93.0.2", vde.Id);
        }
        finally
        {
            vde.Kill();
            vde.WaitForExit();
        }
    }

    private static Figures Measure(string client, string server, string serverAddress, int? switchPid)
    {
        Ping(client, serverAddress, 5, "0.2");
        double cpuBefore = switchPid is int before ? CpuSeconds(before) : 0;
        JsonElement tcp = Iperf(server, client, serverAddress, "-t", TcpSeconds.ToString(CultureInfo.InvariantCulture));
        double cpu = switchPid is int after ? CpuSeconds(after) - cpuBefore : double.NaN;
        double gbits = tcp.GetProperty("end").GetProperty("sum_received").GetProperty("bits_per_second").GetDouble() / 1e9;
        JsonElement udp = Iperf(server, client, serverAddress, "-u", "-b", "0", "-l", "64", "-t", UdpSeconds.ToString(CultureInfo.InvariantCulture));
        JsonElement sum = udp.GetProperty("end").GetProperty("sum");
        double delivered = (sum.GetProperty("packets").GetDouble() - sum.GetProperty("lost_packets").GetDouble()) / sum.GetProperty("seconds").GetDouble() / 1e3;
        double rtt = Ping(client, serverAddress, Pings, "0.01");
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"intnet-tap: {client} -> {server}: TCP {gbits:F2} Gbit/s, UDP {delivered:F1} kpps, RTT {rtt:F1} us, switch CPU {cpu:F2} s"));
        return new Figures(gbits, delivered, rtt, cpu);
    }

    private static void AddAdapter(SupClient client, string request)
    {
        ModuleOpenReply open = client.OpenModule("netadp");
        if (open.NeedsLoading)
        {
            client.LoadModule(open.Handle);
        }

        _ = client.CallModule(client.GetSymbol(open.Handle, "Add"), 0, 0, Encoding.UTF8.GetBytes(request), 64 * 1024);
    }

    private static JsonElement Iperf(string serverNs, string clientNs, string server, params string[] args)
    {
        string port = (5201 + Random.Shared.Next(2000)).ToString(CultureInfo.InvariantCulture);
        Must("ip", "netns", "exec", serverNs, "iperf3", "-s", "-1", "-D", "-p", port);
        (int code, string stdout, string stderr) = Exec("ip", ["netns", "exec", clientNs, "iperf3", "-c", server, "-p", port, "-J", "--connect-timeout", "5000", .. args]);
        if (code != 0)
        {
            throw new InvalidOperationException($"iperf3 {string.Join(' ', args)}: {stdout}{stderr}");
        }

        return JsonDocument.Parse(stdout).RootElement.Clone();
    }

    /// <summary>The average RTT of <paramref name="count"/> pings, in microseconds.</summary>
    private static double Ping(string ns, string address, int count, string interval)
    {
        (int code, string stdout, string stderr) = Exec("ip", "netns", "exec", ns, "ping", "-q", "-c", count.ToString(CultureInfo.InvariantCulture), "-i", interval, "-W", "2", address);
        int at = stdout.IndexOf(" = ", StringComparison.Ordinal);
        if (code != 0 || at < 0)
        {
            throw new InvalidOperationException($"ping {address} in {ns}: {stdout}{stderr}");
        }

        return double.Parse(stdout[(at + 3)..].Split('/')[1], CultureInfo.InvariantCulture) * 1000;
    }

    /// <summary>utime + stime of a process (proc(5): fields 14 and 15, in clock ticks of 100 Hz).</summary>
    private static double CpuSeconds(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    private static void Up(string ns, string device, string address)
    {
        Must("ip", "-n", ns, "addr", "add", address, "dev", device);
        Must("ip", "-n", ns, "link", "set", device, "up");
        Must("ip", "-n", ns, "link", "set", "lo", "up");
    }

    private static void Poll(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                throw new TimeoutException($"waiting for {what}");
            }

            Thread.Sleep(10);
        }
    }

    private static void Must(string file, params string[] args)
    {
        (int code, string stdout, string stderr) = Exec(file, args);
        if (code != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)}: exit {code}: {stdout}{stderr}");
        }
    }

    private static (int Code, string Stdout, string Stderr) Exec(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private sealed record Figures(double TcpGbits, double UdpKpps, double RttMicroseconds, double SwitchCpuSeconds);
}
