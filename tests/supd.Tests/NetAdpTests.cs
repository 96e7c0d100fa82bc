using System.Security.Cryptography;
using System.Text.Json;

namespace Supd.Tests;

/// <summary>
/// Issue 12, NetAdp, over the real daemon with real namespaces and TAPs: adapters made with
/// supctl netadp in two namespaces on one IntNet network reach each other (ARP, IPv6 ND, ping,
/// iperf3 TCP with GSO end to end, UDP); an adapter is a network's trunk host end; adapters go
/// with remove, with SIGTERM and with a killed daemon. Namespaces are made and removed by name.
/// </summary>
public sealed class NetAdpTests : IDisposable
{
    private readonly List<string> _namespaces = [];
    private readonly List<Daemon> _daemons = [];
    private readonly Daemon _daemon;

    public NetAdpTests()
    {
        _daemon = StartDaemon();
    }

    [Fact]
    public void Two_namespaces_with_an_adapter_each_on_one_network_resolve_each_other_by_arp_and_nd_and_ping_both_ways()
    {
        string network = "netadp-" + Tool.Hex(3);
        (string nsA, string a) = Adapter(network, "10.81.0.1/24", "fd81::1/64");
        (string nsB, string b) = Adapter(network, "10.81.0.2/24", "fd81::2/64");

        Ping(nsA, "10.81.0.2");
        Ping(nsB, "10.81.0.1");
        Ping(nsA, "fd81::2");
        Ping(nsB, "fd81::1");

        // Both neighbour tables hold the other adapter's address: ARP and ND crossed the switch.
        JsonElement listing = List();
        string macA = Field(listing, a, "mac");
        string macB = Field(listing, b, "mac");
        Assert.NotEqual(macA, macB);
        Assert.Equal(macB, Neighbour(nsA, a, "10.81.0.2"));
        Assert.Equal(macB, Neighbour(nsA, a, "fd81::2"));
        Assert.Equal(macA, Neighbour(nsB, b, "10.81.0.1"));
        Assert.Equal(macA, Neighbour(nsB, b, "fd81::1"));

        // The listing: namespace, network, role, MTU, and counters that moved both ways.
        foreach ((string name, string ns) in new[] { (a, nsA), (b, nsB) })
        {
            JsonElement adapter = Adapter(listing, name);
            Assert.Equal(ns, adapter.GetProperty("namespace").GetString());
            Assert.Equal(network, adapter.GetProperty("network").GetString());
            Assert.Equal("port", adapter.GetProperty("role").GetString());
            Assert.Equal(1500, adapter.GetProperty("mtu").GetInt32());
            Assert.True(adapter.GetProperty("counters").GetProperty("framesIn").GetInt64() >= 4, adapter.ToString());
            Assert.True(adapter.GetProperty("counters").GetProperty("framesOut").GetInt64() >= 4, adapter.ToString());
        }

        // The switch lists them as two ports of kind tap on the network.
        (int code, string show, _) = Supctl("net", "show", network, "--json");
        Assert.Equal(0, code);
        JsonElement[] ports = [.. JsonDocument.Parse(show).RootElement.GetProperty("ports").EnumerateArray()];
        Assert.Equal(["tap", "tap"], ports.Select(p => p.GetProperty("kind").GetString()));
        Assert.Equal([$"{a} in netns {nsA}", $"{b} in netns {nsB}"], ports.Select(p => p.GetProperty("device").GetString()));
    }

    [Fact]
    public void An_address_changed_on_the_device_is_followed_by_the_switch()
    {
        string network = "netadp-" + Tool.Hex(3);
        (string nsA, string a) = Adapter(network, "10.85.0.1/24");
        (string nsB, string b) = Adapter(network, "10.85.0.2/24");
        Ping(nsA, "10.85.0.2");

        Assert.Equal(0, Tool.Run("ip", "-n", nsB, "link", "set", b, "address", "02:5e:00:12:34:56").ExitCode);
        Assert.Equal(0, Tool.Run("ip", "-n", nsA, "neigh", "flush", "dev", a).ExitCode);
        Ping(nsA, "10.85.0.2");
        Assert.Equal("02:5e:00:12:34:56", Neighbour(nsA, a, "10.85.0.2"));
        (_, string show, _) = Supctl("net", "show", network, "--json");
        Assert.Contains(JsonDocument.Parse(show).RootElement.GetProperty("ports").EnumerateArray(),
            p => p.GetProperty("device").GetString() == $"{b} in netns {nsB}" && p.GetProperty("mac").GetString() == "02:5e:00:12:34:56");
    }

    [Fact]
    public void Iperf3_tcp_and_udp_run_between_two_namespaces_and_tcp_crosses_as_gso_frames()
    {
        string network = "netadp-" + Tool.Hex(3);
        (string nsA, string a) = Adapter(network, "10.82.0.1/24");
        (string nsB, string b) = Adapter(network, "10.82.0.2/24");

        JsonElement tcp = Iperf(nsB, nsA, "10.82.0.2", "-t", "2");
        long received = tcp.GetProperty("end").GetProperty("sum_received").GetProperty("bytes").GetInt64();
        Assert.True(received > 10_000_000, $"iperf3 TCP moved {received} bytes");

        // TSO frames went from one TAP to the other whole: more bytes than frames of 1,500 could carry.
        JsonElement listing = List();
        JsonElement from = Adapter(listing, a).GetProperty("counters");
        JsonElement to = Adapter(listing, b).GetProperty("counters");
        Assert.True(from.GetProperty("gsoIn").GetInt64() > 0, from.ToString());
        Assert.True(to.GetProperty("gsoOut").GetInt64() > 0, to.ToString());
        Assert.True(to.GetProperty("bytesOut").GetInt64() / to.GetProperty("framesOut").GetInt64() > 1514, to.ToString());

        JsonElement udp = Iperf(nsB, nsA, "10.82.0.2", "-u", "-b", "50M", "-l", "1200", "-t", "2");
        JsonElement sum = udp.GetProperty("end").GetProperty("sum");
        Assert.True(sum.GetProperty("packets").GetInt64() > 1000, sum.ToString());
        Assert.True(sum.GetProperty("lost_percent").GetDouble() < 50, sum.ToString());
    }

    [Fact]
    public void Iperf3_tcp_between_two_adapters_reaches_an_interface_without_gso_as_valid_segments()
    {
        // The interface takes no GSO and has no address yet, so it gets every unicast frame: the
        // TAPs' super-frames (validated where the reader has them, with no private copy) cut into
        // segments, each checked here on its own.
        string network = "t6-seg-" + Tool.Hex(3);
        (string nsA, string a) = Adapter(network, "10.83.0.1/24");
        (string nsB, _) = Adapter(network, "10.83.0.2/24");
        using SupHost.Client.SupClient client = _daemon.Connect();
        using SupHost.Client.IntNetInterface plain = client.OpenIntNetInterface(new SupHost.Client.IntNetOpenOptions { Network = network, AcceptGso = false });
        plain.SetActive(true);

        int frames = 0, fullSegments = 0;
        var bad = new List<string>();
        using var done = new CancellationTokenSource();
        var drain = new Thread(() =>
        {
            byte[] buffer = new byte[70_000];
            while (true)
            {
                bool finished = done.IsCancellationRequested;
                while (plain.TryReceive(buffer, out int length, out SupHost.IntNet.Format.FrameType type))
                {
                    frames++;
                    var ethernet = (PacketDotNet.EthernetPacket)PacketDotNet.Packet.ParsePacket(PacketDotNet.LinkLayers.Ethernet, buffer[..length]);
                    PacketDotNet.TcpPacket? tcp = ethernet.Extract<PacketDotNet.TcpPacket>();
                    PacketDotNet.IPv4Packet? ip = ethernet.Extract<PacketDotNet.IPv4Packet>();
                    if (type != SupHost.IntNet.Format.FrameType.Frame || length > 1514)
                    {
                        bad.Add($"a {type} of {length} bytes");
                    }
                    else if (tcp is not null && ip is not null)
                    {
                        if (!ip.ValidIPChecksum || !tcp.ValidChecksum || ip.TotalLength != length - 14)
                        {
                            bad.Add($"a TCP segment of {length} bytes, seq {tcp.SequenceNumber}: IP checksum {ip.ValidIPChecksum}, TCP checksum {tcp.ValidChecksum}, total length {ip.TotalLength}");
                        }
                        else if (length == 1514)
                        {
                            fullSegments++;
                        }
                    }
                }

                if (finished)
                {
                    return;
                }

                Thread.Yield();
            }
        });
        drain.Start();

        JsonElement tcp = Iperf(nsB, nsA, "10.83.0.2", "-t", "1");
        done.Cancel();
        Assert.True(drain.Join(TimeSpan.FromSeconds(30)), "the drain to end");
        Assert.True(tcp.GetProperty("end").GetProperty("sum_received").GetProperty("bytes").GetInt64() > 1_000_000, tcp.ToString());
        Assert.Empty(bad);
        Assert.True(fullSegments > 100, $"{fullSegments} full segments among {frames} frames");

        // The frames came from the TAP as super-frames: the segments are the switch's.
        JsonElement from = Adapter(List(), a).GetProperty("counters");
        Assert.True(from.GetProperty("gsoIn").GetInt64() > 0, from.ToString());
    }

    [Fact]
    public void An_adapter_is_the_trunk_host_end_of_a_network_that_names_it_and_trunk_host_disabled_lets_nothing_cross()
    {
        string network = "netadp-" + Tool.Hex(3);
        string nsTrunk = Namespace();
        string trunk = "sat" + Tool.Hex(3);
        Assert.Equal(0, Supctl("netadp", "add", trunk, "--netns", nsTrunk).ExitCode);
        Address(nsTrunk, trunk, "10.83.0.1/24");
        (int code, _, string stderr) = Supctl("net", "create", network, "--trunk-type", "netadp", "--trunk", trunk);
        Assert.True(code == 0, stderr);

        // The trunk's adapter is busy: a second network cannot take it.
        (code, _, stderr) = Supctl("net", "create", network + "x", "--trunk-type", "netadp", "--trunk", trunk);
        Assert.NotEqual(0, code);
        Assert.Contains("TrunkBusy", stderr, StringComparison.Ordinal);

        (string nsPort, string port) = Adapter(network, "10.83.0.2/24");
        Ping(nsPort, "10.83.0.1");
        Ping(nsTrunk, "10.83.0.2");
        Assert.Equal("trunk", Field(List(), trunk, "role"));
        (_, string show, _) = Supctl("net", "show", network, "--json");
        JsonElement shown = JsonDocument.Parse(show).RootElement.GetProperty("trunk");
        Assert.Equal("netadp", shown.GetProperty("type").GetString());
        Assert.Equal("active", shown.GetProperty("state").GetString());
        Assert.Equal(Field(List(), trunk, "mac"), shown.GetProperty("hostMac").GetString());

        // The same with the trunk's host end disabled by policy: nothing crosses.
        string closed = "netadp-" + Tool.Hex(3);
        string nsClosed = Namespace();
        string closedTrunk = "sat" + Tool.Hex(3);
        Assert.Equal(0, Supctl("netadp", "add", closedTrunk, "--netns", nsClosed).ExitCode);
        Address(nsClosed, closedTrunk, "10.84.0.1/24");
        Assert.Equal(0, Supctl("net", "create", closed, "--trunk-type", "netadp", "--trunk", closedTrunk, "--trunk-host", "disabled").ExitCode);
        (string nsOther, _) = Adapter(closed, "10.84.0.2/24");
        (int unreachable, _, _) = Tool.Run("ip", "netns", "exec", nsOther, "ping", "-c", "2", "-W", "1", "-i", "0.3", "10.84.0.1");
        Assert.NotEqual(0, unreachable);
        Assert.Equal(0, JsonDocument.Parse(Supctl("netadp", "list", "--json").Stdout).RootElement.GetProperty("adapters").EnumerateArray()
            .Single(x => x.GetProperty("name").GetString() == closedTrunk).GetProperty("counters").GetProperty("framesOut").GetInt64());
        _ = port;
    }

    [Fact]
    public void Adapters_go_with_remove_with_sigterm_and_with_a_killed_daemon()
    {
        string network = "netadp-" + Tool.Hex(3);
        (string ns, string first) = Adapter(network);
        (int code, _, _) = Supctl("netadp", "remove", first);
        Assert.Equal(0, code);
        Assert.False(Tool.LinkExists(ns, first), $"{first} outlived netadp remove");
        Assert.DoesNotContain(List().GetProperty("adapters").EnumerateArray(), x => x.GetProperty("name").GetString() == first);
        (code, _, string stderr) = Supctl("netadp", "remove", first);
        Assert.NotEqual(0, code);
        Assert.Contains("NotFound", stderr, StringComparison.Ordinal);

        // SIGTERM: the daemon's adapters go as it stops (netadp's Terminate closes each TAP).
        (string nsTerm, string term) = Adapter(network);
        Assert.Equal(0, _daemon.Terminate());
        Assert.False(Tool.LinkExists(nsTerm, term), $"{term} outlived the daemon's SIGTERM");

        // SIGKILL: the TAPs are not persistent, so the kernel removes them with the dead daemon's descriptors.
        Daemon killed = StartDaemon();
        (string nsKill, string kill) = Adapter(network, daemon: killed);
        killed.Process.Kill();
        killed.Process.WaitForExit();
        Poll.Until(() => !Tool.LinkExists(nsKill, kill), $"{kill} to go with the killed daemon's descriptors");

        // A daemon started after it makes the same name again at once.
        Daemon next = StartDaemon();
        Assert.Equal(0, Supctl(next, "netadp", "add", kill, "--netns", nsKill).ExitCode);
        Assert.True(Tool.LinkExists(nsKill, kill));
    }

    [Fact]
    public void Add_refuses_bad_names_addresses_mtus_and_duplicates_and_names_the_next_free_suphost()
    {
        string ns = Namespace();
        foreach (string[] bad in new[]
        {
            new[] { "a/b" }, ["this-name-is-too-long"], ["--mtu", "10"], ["--mtu", "70000"], ["--mac", "01:00:00:00:00:01"],
            ["--mac", "00:00:00:00:00:00"], ["--mac", "zz:00:00:00:00:01"], ["--netns", "../etc"],
        })
        {
            (int code, _, string stderr) = Supctl(["netadp", "add", .. bad, .. (bad.Contains("--netns") ? Array.Empty<string>() : ["--netns", ns])]);
            Assert.True(code != 0, $"netadp add {string.Join(' ', bad)} was taken");
            Assert.Matches("InvalidParameter|InvalidName", stderr);
        }

        Assert.Empty(List().GetProperty("adapters").EnumerateArray());
        (int made, string stdout, string why) = Supctl("netadp", "add", "--netns", ns, "--mac", "02:12:34:56:78:9a", "--mtu", "9000", "--json");
        Assert.True(made == 0, why);
        JsonElement adapter = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("suphost0", adapter.GetProperty("name").GetString());
        Assert.Equal("none", adapter.GetProperty("role").GetString());
        (_, string link, _) = Tool.Run("ip", "-n", ns, "-j", "link", "show", "suphost0");
        JsonElement shown = JsonDocument.Parse(link).RootElement[0];
        Assert.Equal("02:12:34:56:78:9a", shown.GetProperty("address").GetString());
        Assert.Equal(9000, shown.GetProperty("mtu").GetInt32());
        Assert.Contains("UP", shown.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));

        (int again, _, string duplicate) = Supctl("netadp", "add", "suphost0", "--netns", ns);
        Assert.NotEqual(0, again);
        Assert.Contains("AlreadyExists", duplicate, StringComparison.Ordinal);
        (_, stdout, _) = Supctl("netadp", "add", "--netns", ns, "--json");
        Assert.Equal("suphost1", JsonDocument.Parse(stdout).RootElement.GetProperty("name").GetString());
        Assert.Equal("0a:53:48:00:00:01", JsonDocument.Parse(stdout).RootElement.GetProperty("mac").GetString());
    }

    [Fact]
    public void Hostile_add_and_remove_inputs_are_refused_with_a_status_and_the_daemon_serves_on()
    {
        using SupHost.Client.SupClient client = _daemon.Connect();
        SupHost.Protocol.ModuleOpenReply open = client.OpenModule("netadp");
        ulong add = client.GetSymbol(open.Handle, "Add");
        ulong remove = client.GetSymbol(open.Handle, "Remove");
        string[] inputs =
        [
            "{", "[]", "\"name\"", "{\"name\":1}", "{\"name\":{\"a\":1}}", "{\"mtu\":\"big\"}", "{\"mtu\":1e9}",
            "{\"mac\":\"0a:53:48:00:00\"}", "{\"netns\":\"a/b\"}", "{\"network\":\"\"}", "{\"other\":1}", "{\"name\":\"x\"} trailing",
            new string('x', 5000), "{\"name\":\"bad name\"}",
        ];
        foreach (string input in inputs)
        {
            SupHost.Client.SupException refused = Assert.Throws<SupHost.Client.SupException>(() => client.CallModule(add, 0, 0, System.Text.Encoding.UTF8.GetBytes(input), 4096));
            Assert.True(refused.Status is SupHost.Protocol.SupStatus.InvalidParameter or SupHost.Protocol.SupStatus.InvalidName, $"{input}: {refused.Status} {refused.Message}");
        }

        foreach (byte[] name in new[] { Array.Empty<byte>(), "a/b"u8.ToArray(), new byte[100], [0xff, 0xfe], "nosuch0"u8.ToArray() })
        {
            SupHost.Client.SupException refused = Assert.Throws<SupHost.Client.SupException>(() => client.CallModule(remove, 0, 0, name, 0));
            Assert.True(refused.Status is SupHost.Protocol.SupStatus.InvalidName or SupHost.Protocol.SupStatus.NotFound, $"{Convert.ToHexString(name)}: {refused.Status}");
        }

        // An answer that could not fit the caller's buffer is refused before anything is made.
        string ns = Namespace();
        SupHost.Client.SupException small = Assert.Throws<SupHost.Client.SupException>(() => client.CallModule(add, 0, 0, System.Text.Encoding.UTF8.GetBytes($$"""{"netns":"{{ns}}"}"""), 16));
        Assert.Equal(SupHost.Protocol.SupStatus.BufferOverflow, small.Status);
        Assert.DoesNotContain(List().GetProperty("adapters").EnumerateArray(), a => a.GetProperty("namespace").GetString() == ns);
        client.Nop();
    }

    [Fact]
    public void Only_root_adds_or_removes_adapters_and_adds_qemu_back_ends()
    {
        using var user = new TestUser();
        string group = Tool.Run("stat", "-c", "%G", Path.Combine(_daemon.RunDir, SupHost.Protocol.ProtocolConstants.FullSocketName)).Stdout.Trim();
        user.AddToGroup(group);
        string supctl = Path.Combine(AppContext.BaseDirectory, "supctl.dll");
        string name = "supr" + Convert.ToHexString(RandomNumberGenerator.GetBytes(3)).ToLowerInvariant();

        // A member of the socket group reaches the daemon (netadp list answers) but may not make a TAP.
        (int code, string stdout, string stderr) = user.Run("dotnet", supctl, "netadp", "list", "--run-dir", _daemon.RunDir);
        Assert.True(code == 0, $"netadp list as {user.Name}: {stdout}{stderr}");
        (code, stdout, stderr) = user.Run("dotnet", supctl, "netadp", "add", name, "--run-dir", _daemon.RunDir);
        Assert.NotEqual(0, code);
        Assert.Contains("PermissionDenied", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(List().GetProperty("adapters").EnumerateArray(), a => a.GetProperty("name").GetString() == name);
        Assert.NotEqual(0, Tool.Run("ip", "link", "show", name).ExitCode);

        // Root's adapter cannot be removed by the member either.
        (code, _, stderr) = Tool.Supctl("netadp", "add", name, "--run-dir", _daemon.RunDir);
        Assert.True(code == 0, stderr);
        (code, stdout, stderr) = user.Run("dotnet", supctl, "netadp", "remove", name, "--run-dir", _daemon.RunDir);
        Assert.NotEqual(0, code);
        Assert.Contains("PermissionDenied", stderr, StringComparison.Ordinal);
        Assert.Contains(List().GetProperty("adapters").EnumerateArray(), a => a.GetProperty("name").GetString() == name);
        Assert.Equal(0, Tool.Supctl("netadp", "remove", name, "--run-dir", _daemon.RunDir).ExitCode);

        // Nor may the member make the daemon listen for QEMU on a path of its choosing.
        string network = "qroot-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(3)).ToLowerInvariant();
        string path = Path.Combine(Path.GetTempPath(), network + ".sock");
        (code, stdout, stderr) = user.Run("dotnet", supctl, "net", "create", network, "--stream", path, "--run-dir", _daemon.RunDir);
        Assert.NotEqual(0, code);
        Assert.Contains("PermissionDenied", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(path), $"{path} was made for a non-root session");
        Assert.NotEqual(0, Tool.Supctl("net", "show", network, "--run-dir", _daemon.RunDir).ExitCode);
    }

    public void Dispose()
    {
        foreach (Daemon daemon in _daemons)
        {
            daemon.Dispose();
        }

        // By name, never by pattern: removing a namespace also removes the TAPs left in it.
        foreach (string ns in _namespaces)
        {
            Tool.Run("ip", "netns", "del", ns);
        }
    }

    private Daemon StartDaemon()
    {
        Daemon daemon = Daemon.Start();
        _daemons.Add(daemon);
        return daemon;
    }

    /// <summary>A namespace with an adapter on <paramref name="network"/>, up, with the addresses given (IPv6 without DAD).</summary>
    private (string Namespace, string Adapter) Adapter(string network, string? ipv4 = null, string? ipv6 = null, Daemon? daemon = null)
    {
        string ns = Namespace();
        string name = "sa" + Tool.Hex(3);
        (int code, _, string stderr) = Supctl(daemon ?? _daemon, "netadp", "add", name, "--netns", ns, "--network", network);
        Assert.True(code == 0, stderr);
        if (ipv4 is not null)
        {
            Address(ns, name, ipv4);
        }

        if (ipv6 is not null)
        {
            Assert.Equal(0, Tool.Run("ip", "-n", ns, "addr", "add", ipv6, "dev", name, "nodad").ExitCode);
        }

        return (ns, name);
    }

    private static void Address(string ns, string device, string address) =>
        Assert.Equal(0, Tool.Run("ip", "-n", ns, "addr", "add", address, "dev", device).ExitCode);

    private static void Ping(string ns, string address)
    {
        (int code, string stdout, string stderr) = Tool.Run("ip", "netns", "exec", ns, "ping", "-c", "3", "-W", "2", "-i", "0.2", address);
        Assert.True(code == 0, $"ping {address} from {ns}: {stdout}{stderr}");
        Assert.Contains(" 0% packet loss", stdout, StringComparison.Ordinal);
    }

    private static string? Neighbour(string ns, string device, string address)
    {
        (_, string stdout, _) = Tool.Run("ip", "-n", ns, "-j", "neigh", "show", "dev", device, "to", address);
        JsonElement[] entries = [.. JsonDocument.Parse(stdout).RootElement.EnumerateArray()];
        return entries.Length == 1 && entries[0].TryGetProperty("lladdr", out JsonElement mac) ? mac.GetString() : null;
    }

    private static JsonElement Iperf(string serverNs, string clientNs, string server, params string[] args)
    {
        string port = (5201 + RandomNumberGenerator.GetInt32(2000)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        (int started, _, string why) = Tool.Run("ip", "netns", "exec", serverNs, "iperf3", "-s", "-1", "-D", "-p", port);
        Assert.True(started == 0, why);
        (int code, string stdout, string stderr) = Tool.Run("ip", ["netns", "exec", clientNs, "iperf3", "-c", server, "-p", port, "-J", "--connect-timeout", "5000", .. args], stdin: null);
        Assert.True(code == 0, $"iperf3 {string.Join(' ', args)}: {stdout}{stderr}");
        return JsonDocument.Parse(stdout).RootElement.Clone();
    }

    private JsonElement List()
    {
        (int code, string stdout, string stderr) = Supctl("netadp", "list", "--json");
        Assert.True(code == 0, stderr);
        return JsonDocument.Parse(stdout).RootElement.Clone();
    }

    private static JsonElement Adapter(JsonElement listing, string name) =>
        listing.GetProperty("adapters").EnumerateArray().Single(a => a.GetProperty("name").GetString() == name);

    private static string Field(JsonElement listing, string name, string field) => Adapter(listing, name).GetProperty(field).GetString()!;

    private (int ExitCode, string Stdout, string Stderr) Supctl(params string[] args) => Supctl(_daemon, args);

    private static (int ExitCode, string Stdout, string Stderr) Supctl(Daemon daemon, params string[] args) =>
        Tool.Supctl([.. args, "--run-dir", daemon.RunDir]);

    private string Namespace()
    {
        string name = "supna-" + Tool.Hex(4);
        Assert.Equal(0, Tool.Run("ip", "netns", "add", name).ExitCode);
        _namespaces.Add(name);
        return name;
    }

}
