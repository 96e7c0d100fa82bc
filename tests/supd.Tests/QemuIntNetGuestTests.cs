using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using SupHost.Client;
using Xunit.Abstractions;

namespace Supd.Tests;

/// <summary>
/// Issue 13 with booted guests: real QEMU guests (TCG) plugged into SupHost's switch through the
/// network's own back-ends (<c>supctl net create --stream/--stream-connect/--dgram</c>), pinging
/// and running iperf3 across it, with a capture, a cut connection and hostile peers. The guests of
/// a test boot side by side; every QEMU, socket path and network is gone after each test.
/// </summary>
public sealed class QemuIntNetGuestTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>, IDisposable
{
    private static readonly TimeSpan s_boot = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan s_run = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan s_match = TimeSpan.FromSeconds(5);

    /// <summary>Until the other guest at <paramref name="address"/> answers (bounded), then a line the test waits for.</summary>
    private static string WaitForPeer(string address) => $"n=0; until ping -c 1 -W 1 {address} >/dev/null; do n=$((n+1)); [ $n -lt 90 ] || exit 99; done; echo LINK-UP";

    private readonly string _directory = Directory.CreateTempSubdirectory("suphost-qguest-").FullName;
    private readonly List<string> _networks = [];
    private readonly List<int> _pids = [];

    private string RunDir => fixture.Daemon.RunDir;

    public void Dispose()
    {
        foreach (string network in _networks)
        {
            _ = Tool.Supctl("net", "delete", network, "--run-dir", RunDir);
        }

        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void Two_guests_on_a_stream_port_and_a_datagram_port_ping_each_other_run_iperf3_and_their_icmp_shows_in_a_capture()
    {
        string stream = Path.Combine(_directory, "stream.sock");
        string dgram = Path.Combine(_directory, "dgram.sock");
        string local = Path.Combine(_directory, "client.sock");
        string name = Create("--stream", stream, "--dgram", dgram);
        using SupClient client = fixture.Daemon.Connect();
        using IntNetCapture capture = client.StartIntNetCapture(name, 128);
        using (QemuGuest server = Start(new QemuGuestOptions
        {
            Name = "server",
            Netdev = $"stream,server=off,addr.type=unix,addr.path={stream}",
            Mac = "52:54:00:5e:01:02",
            Address = "10.0.3.2/24",
            // One client, then stay up so that its port can be looked at.
            Script = "iperf3 -s -1\necho IPERF-SERVER-DONE\nsleep 3600\n",
        }))
        using (QemuGuest guest = Start(new QemuGuestOptions
        {
            Name = "client",
            Netdev = $"dgram,local.type=unix,local.path={local},remote.type=unix,remote.path={dgram}",
            Mac = "52:54:00:5e:01:01",
            Address = "10.0.3.1/24",
            Command = WaitForPeer("10.0.3.2") + "; ping -c 5 -i 0.2 10.0.3.2 && iperf3 -c 10.0.3.2 -t 2",
        }))
        {
            Assert.Equal("10.0.3.2", server.WaitForReady(s_boot));
            Assert.Equal("10.0.3.1", guest.WaitForReady(s_boot));
            int status = guest.WaitForExit(s_run);
            Poll.Until(() => server.Output.Contains("IPERF-SERVER-DONE", StringComparison.Ordinal), "the iperf3 server's end", 30_000);
            output.WriteLine($"--- client console:\n{guest.Output}\n--- server console:\n{server.Output}");
            Assert.Equal(0, status);
            AssertPings(guest.Output, "10.0.3.2", 5);
            Assert.Contains("Accepted connection from 10.0.3.1", server.Output, StringComparison.Ordinal);
            output.WriteLine($"iperf3 through IntNet (dgram to stream): {Receiver(guest.Output)}bit/s");

            // Both guests are ports of the network, each with the MAC it sent from.
            JsonElement shown = Show(client, name);
            output.WriteLine(shown.ToString());
            JsonElement streamPort = shown.GetProperty("ports").EnumerateArray().Single(p => p.GetProperty("kind").GetString() == "qemu-stream");
            JsonElement dgramPort = shown.GetProperty("ports").EnumerateArray().Single(p => p.GetProperty("kind").GetString() == "qemu-dgram");
            Assert.Equal("52:54:00:5e:01:02", streamPort.GetProperty("mac").GetString());
            Assert.Equal("52:54:00:5e:01:01", dgramPort.GetProperty("mac").GetString());
            Assert.Equal(local, dgramPort.GetProperty("peer").GetString());
            // iperf3's stream went from the client to the server: over 10 MB in each port's direction.
            Assert.True(dgramPort.GetProperty("counters").GetProperty("bytesIn").GetInt64() > 10_000_000, dgramPort.ToString());
            Assert.True(streamPort.GetProperty("counters").GetProperty("bytesOut").GetInt64() > 10_000_000, streamPort.ToString());
        }

        AssertGone();

        // The capture holds the echo requests from the client and the replies from the server.
        string pcap = Path.Combine(_directory, "guests.pcap");
        using (FileStream file = File.Create(pcap))
        using (CaptureFileWriter writer = CaptureFileWriter.Create(file, CaptureFileFormat.Pcap, 128, name))
        {
            while (capture.TryRead(out IntNetCaptureRecord record))
            {
                writer.Write(record);
            }
        }

        (int code, string fields, string errors) = Tool.Run("tshark", "-r", pcap, "-Y", "icmp", "-T", "fields", "-e", "eth.src", "-e", "ip.src", "-e", "ip.dst", "-e", "icmp.type");
        Assert.True(code == 0, errors);
        string[] lines = fields.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Count(l => l == "52:54:00:5e:01:01\t10.0.3.1\t10.0.3.2\t8") >= 5, fields);
        Assert.True(lines.Count(l => l == "52:54:00:5e:01:02\t10.0.3.2\t10.0.3.1\t0") >= 5, fields);

        Delete(name);
        Assert.False(File.Exists(stream), $"{stream} outlived its network");
        Assert.False(File.Exists(dgram), $"{dgram} outlived its network");
    }

    [Fact]
    public void A_guest_listening_for_the_network_keeps_its_link_when_the_connection_is_cut_and_comes_back()
    {
        string listen = Path.Combine(_directory, "guest.sock");
        string dgram = Path.Combine(_directory, "dgram.sock");
        string local = Path.Combine(_directory, "b.sock");
        string[] options = ["--stream-connect", listen, "--dgram", dgram];
        string name = Create(options);
        using SupClient client = fixture.Daemon.Connect();
        using (QemuGuest a = Start(new QemuGuestOptions
        {
            Name = "a",
            // QEMU listens (server=on); the network connects, and again after the cut.
            Netdev = $"stream,server=on,addr.type=unix,addr.path={listen}",
            Mac = "52:54:00:5e:02:01",
            Address = "10.0.4.1/24",
            Script = WaitForPeer("10.0.4.2") + "\nping -c 60 -i 0.25 10.0.4.2\n",
        }))
        using (QemuGuest b = Start(new QemuGuestOptions
        {
            Name = "b",
            Netdev = $"dgram,local.type=unix,local.path={local},remote.type=unix,remote.path={dgram}",
            Mac = "52:54:00:5e:02:02",
            Address = "10.0.4.2/24",
            // It talks too, so that the network learns it again after the cut.
            Command = "ping -i 0.25 10.0.4.1 >/dev/null",
        }))
        {
            a.WaitForReady(s_boot);
            b.WaitForReady(s_boot);
            Poll.Until(() => Replies(a.Output).Length >= 4, () => $"a's first replies\n{a.Output}", 120_000);
            Assert.Equal(1, Endpoint(client, name, "stream-connect").GetProperty("counters").GetProperty("connections").GetInt64());

            // The cut: the network goes with its connection, and comes back, connecting again.
            int before = Replies(a.Output).Max();
            Delete(name);
            Create(name, options);
            Poll.Until(() => Endpoint(client, name, "stream-connect").GetProperty("state").GetString() == "connected", "the network connected again");

            Assert.Equal(0, a.WaitForExit(s_run));
            output.WriteLine($"--- a:\n{a.Output}");
            int[] replies = Replies(a.Output);
            output.WriteLine($"replies: {string.Join(' ', replies)}; the cut after {before}");
            Assert.True(replies.Count(seq => seq > before + 4) >= 10, $"few replies after the cut (after seq {before}): {string.Join(' ', replies)}");
            Assert.Contains(59, replies);
        }

        AssertGone();
        Delete(name);
        Assert.False(File.Exists(dgram));
    }

    [Fact]
    public void Hostile_stream_and_datagram_peers_are_refused_or_dropped_and_counted_while_two_guests_talk_on()
    {
        string stream = Path.Combine(_directory, "stream.sock");
        string dgram = Path.Combine(_directory, "dgram.sock");
        string local = Path.Combine(_directory, "client.sock");
        // The server guest comes over TCP on the loopback; the hostile stream peers over the Unix path.
        string name = Create("--stream", stream, "--stream", "tcp:0", "--dgram", dgram, "--max-peers", "8");
        using SupClient client = fixture.Daemon.Connect();
        string tcp = Show(client, name).GetProperty("qemu").EnumerateArray().Select(e => e.GetProperty("path").GetString()!).Single(p => p.StartsWith("tcp:", StringComparison.Ordinal));
        string port = tcp[(tcp.LastIndexOf(':') + 1)..];
        using (QemuGuest server = Start(new QemuGuestOptions
        {
            Name = "server",
            Netdev = $"stream,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port={port}",
            Mac = "52:54:00:5e:03:02",
            Address = "10.0.5.2/24",
            Command = "sleep 3600",
        }))
        using (QemuGuest guest = Start(new QemuGuestOptions
        {
            Name = "client",
            Netdev = $"dgram,local.type=unix,local.path={local},remote.type=unix,remote.path={dgram}",
            Mac = "52:54:00:5e:03:01",
            Address = "10.0.5.1/24",
            Command = WaitForPeer("10.0.5.2") + "; ping -c 40 -i 0.1 10.0.5.2",
        }))
        {
            server.WaitForReady(s_boot);
            guest.WaitForReady(s_boot);
            Poll.Until(() => guest.Output.Contains("LINK-UP", StringComparison.Ordinal), () => $"the client's link\n{guest.Output}", 120_000);

            // While the client pings: stream peers with a zero, an oversized and a garbage length,
            // and one that stops half way through a frame; empty and oversized datagrams; a flood
            // from twenty source paths against a limit of eight peers (the client is one).
            byte[] oversized = [0x00, 0x01, 0x10, 0x01, 1, 2, 3, 4];
            byte[] garbage = new byte[300];
            new Random(17).NextBytes(garbage);
            garbage[0] = 0x7f;
            foreach (byte[] hostile in new[] { new byte[4], oversized, garbage })
            {
                using Socket peer = QemuPeer.ConnectStream(stream);
                peer.Send(hostile);
                Assert.True(QemuPeer.Ended(peer, TimeSpan.FromSeconds(10)), "a bad length kept its connection");
            }

            using (Socket half = QemuPeer.ConnectStream(stream))
            {
                half.Send(QemuPeer.Framed(QemuPeer.Frame([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0x02, 0, 0, 0, 0, 1], 1000, 1)).AsSpan(0, 500));
            }

            var target = new UnixDomainSocketEndPoint(dgram);
            var flood = new List<Socket>();
            try
            {
                for (int i = 0; i < 20; i++)
                {
                    Socket f = QemuPeer.BindDatagram(Path.Combine(_directory, $"flood{i}"));
                    flood.Add(f);
                    f.SendTo(QemuPeer.Frame([0x02, 0, 0x5e, 0, 0, 0x99], [0x02, 0, 0, 0, 0x20, (byte)i], 60, i), target);
                }

                flood[0].SendTo([], target);
                flood[0].SendTo(new byte[70_000], target);
                Poll.Until(() => Count(client, name, "dgram", "refused") == 13, () => $"13 peers refused ({Endpoint(client, name, "dgram")})");
            }
            finally
            {
                flood.ForEach(f => f.Dispose());
            }

            Assert.Equal(0, guest.WaitForExit(s_run));
            output.WriteLine($"--- client:\n{guest.Output}\n{Show(client, name)}");
            AssertPings(guest.Output, "10.0.5.2", 40);
            Assert.Equal(3, Count(client, name, "stream-listen", "badLength", stream));
            Poll.Until(() => Count(client, name, "stream-listen", "truncated", stream) == 1, "the cut frame counted");
            Assert.Equal(2, Count(client, name, "dgram", "badLength"));

            // The server's port came over TCP, and its counters are clean.
            JsonElement overTcp = Endpoint(client, name, "stream-listen", tcp);
            Assert.Equal(1, overTcp.GetProperty("counters").GetProperty("connections").GetInt64());
            Assert.Equal(0, overTcp.GetProperty("counters").GetProperty("badLength").GetInt64());
            JsonElement serverPort = Show(client, name).GetProperty("ports").EnumerateArray().Single(p => p.TryGetProperty("endpoint", out JsonElement e) && e.GetString() == tcp);
            Assert.Equal("52:54:00:5e:03:02", serverPort.GetProperty("mac").GetString());
            Assert.True(serverPort.GetProperty("counters").GetProperty("framesOut").GetInt64() >= 40, serverPort.ToString());
        }

        AssertGone();
        Delete(name);
        Assert.False(File.Exists(stream));
        Assert.False(File.Exists(dgram));
    }

    [Fact]
    public void A_guest_on_a_stream_port_reaches_a_namespace_behind_a_netadp_adapter_on_the_same_network()
    {
        string stream = Path.Combine(_directory, "stream.sock");
        string name = Create("--stream", stream);
        string ns = $"supqg-{Guid.NewGuid().ToString("N")[..6]}";
        string adapter = $"sqa{Guid.NewGuid().ToString("N")[..5]}";
        Assert.Equal(0, Tool.Run("ip", "netns", "add", ns).ExitCode);
        try
        {
            (int code, string stdout, string stderr) = Tool.Supctl("netadp", "add", adapter, "--netns", ns, "--network", name, "--run-dir", RunDir);
            Assert.True(code == 0, $"supctl netadp add: {stdout}{stderr}");
            Assert.Equal(0, Tool.Run("ip", "-n", ns, "addr", "add", "10.0.9.1/24", "dev", adapter).ExitCode);
            Assert.Equal(0, Tool.Run("ip", "-n", ns, "link", "set", "lo", "up").ExitCode);
            using (QemuGuest guest = Start(new QemuGuestOptions
            {
                Name = "tapside",
                Netdev = $"stream,server=off,addr.type=unix,addr.path={stream}",
                Mac = "52:54:00:5e:09:02",
                Address = "10.0.9.2/24",
                Script = WaitForPeer("10.0.9.1") + "\niperf3 -s -1\necho IPERF-SERVER-DONE\nsleep 3600\n",
            }))
            {
                Assert.Equal("10.0.9.2", guest.WaitForReady(s_boot));
                Poll.Until(() => guest.Output.Contains("LINK-UP", StringComparison.Ordinal), () => $"the guest to reach the namespace: {guest.Output}", 120_000);

                (code, stdout, stderr) = Tool.Run("ip", "netns", "exec", ns, "ping", "-c", "5", "-i", "0.2", "-W", "2", "10.0.9.2");
                Assert.True(code == 0, $"ping from the namespace to the guest: {stdout}{stderr}");
                Assert.Contains("5 packets transmitted, 5 received, 0% packet loss", stdout, StringComparison.Ordinal);

                // The iperf3 server in the guest may still be starting: retry the client a bounded number of times.
                string iperf = string.Empty;
                for (int attempt = 0; attempt < 20 && !iperf.Contains("receiver", StringComparison.Ordinal); attempt++)
                {
                    (code, iperf, stderr) = Tool.Run("ip", "netns", "exec", ns, "iperf3", "-c", "10.0.9.2", "-t", "2", "--connect-timeout", "2000");
                    if (code != 0)
                    {
                        iperf += stderr;
                        Poll.Until(() => guest.Output.Contains("Server listening", StringComparison.Ordinal), "the guest's iperf3 server to listen", 30_000);
                    }
                }

                output.WriteLine(iperf);
                Assert.True(code == 0, iperf);
                output.WriteLine($"iperf3 namespace (NetAdp TAP) to guest (stream port): {Receiver(iperf)}bit/s");
                Poll.Until(() => guest.Output.Contains("IPERF-SERVER-DONE", StringComparison.Ordinal), "the iperf3 server's end", 30_000);

                using SupClient client = fixture.Daemon.Connect();
                JsonElement ports = Show(client, name).GetProperty("ports");
                Assert.Contains(ports.EnumerateArray(), p => p.GetProperty("kind").GetString() == "tap");
                Assert.Contains(ports.EnumerateArray(), p => p.GetProperty("kind").GetString() == "qemu-stream" && p.GetProperty("mac").GetString() == "52:54:00:5e:09:02");
            }

            AssertGone();
        }
        finally
        {
            _ = Tool.Supctl("netadp", "remove", adapter, "--run-dir", RunDir);
            _ = Tool.Run("ip", "netns", "del", ns);
        }

        (_, string list, _) = Tool.Supctl("netadp", "list", "--json", "--run-dir", RunDir);
        Assert.DoesNotContain(adapter, list, StringComparison.Ordinal);
    }

    private static void AssertPings(string console, string address, int count)
    {
        Assert.Contains($"{count} packets transmitted, {count} packets received, 0% packet loss", console, StringComparison.Ordinal);
        int[] sequences = [.. Regex.Matches(console, $@"^64 bytes from {Regex.Escape(address)}: seq=(?<seq>\d+) ", RegexOptions.Multiline | RegexOptions.ExplicitCapture, s_match)
            .Select(m => int.Parse(m.Groups["seq"].Value, CultureInfo.InvariantCulture))];
        Assert.Equal(Enumerable.Range(0, count), sequences);
    }

    private static int[] Replies(string console) =>
        [.. Regex.Matches(console, @"^64 bytes from [\d.]+: seq=(?<seq>\d+) ", RegexOptions.Multiline | RegexOptions.ExplicitCapture, s_match)
            .Select(m => int.Parse(m.Groups["seq"].Value, CultureInfo.InvariantCulture))];

    private static string Receiver(string console)
    {
        Match receiver = Regex.Match(console, @"sec\s+(?<bytes>[\d.]+) [KMG]Bytes\s+(?<rate>[\d.]+ [KMG])bits/sec\s+receiver", RegexOptions.ExplicitCapture, s_match);
        Assert.True(receiver.Success, "no iperf3 receiver summary");
        Assert.True(double.Parse(receiver.Groups["bytes"].Value, CultureInfo.InvariantCulture) > 0, receiver.Value);
        return receiver.Groups["rate"].Value;
    }

    private static JsonElement Show(SupClient client, string name) => JsonDocument.Parse(client.ShowIntNetNetwork(name)).RootElement.Clone();

    private static JsonElement Endpoint(SupClient client, string name, string kind, string? path = null) =>
        Show(client, name).GetProperty("qemu").EnumerateArray().Single(e => e.GetProperty("kind").GetString() == kind && (path is null || e.GetProperty("path").GetString() == path));

    private static long Count(SupClient client, string name, string kind, string counter, string? path = null) =>
        Endpoint(client, name, kind, path).GetProperty("counters").GetProperty(counter).GetInt64();

    private QemuGuest Start(QemuGuestOptions options)
    {
        QemuGuest guest = QemuGuest.Start(options);
        _pids.Add(guest.Pid);
        return guest;
    }

    private void AssertGone() => Assert.All(_pids, pid => Assert.False(Directory.Exists($"/proc/{pid}"), $"QEMU pid {pid} still exists"));

    private string Create(params string[] options) => Create($"qg-{Guid.NewGuid().ToString("N")[..8]}", options);

    private string Create(string name, string[] options)
    {
        (int code, string stdout, string stderr) = Tool.Supctl(["net", "create", name, .. options, "--run-dir", RunDir]);
        Assert.True(code == 0, $"supctl net create: {stdout}{stderr}");
        _networks.Add(name);
        return name;
    }

    private void Delete(string name)
    {
        (int code, _, string stderr) = Tool.Supctl("net", "delete", name, "--run-dir", RunDir);
        Assert.True(code == 0, stderr);
        _networks.Remove(name);
    }
}
