using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using SupHost.Client;
using SupHost.Protocol;

namespace Supd.Tests;

/// <summary>
/// Issue 13 without a guest: the QEMU back-ends of a network (supctl net create --stream,
/// --stream-connect, --dgram) spoken to byte by byte by <see cref="QemuPeer"/> sockets, over the real
/// daemon, with a client's interface on the same network. Every socket path is in the test's own
/// directory and gone when the network is deleted.
/// </summary>
public sealed class QemuPortTests(DaemonFixture fixture) : IClassFixture<DaemonFixture>, IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);
    private static readonly byte[] s_broadcast = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    private static readonly byte[] s_guestA = [0x52, 0x54, 0x00, 0x13, 0x00, 0x0a];
    private static readonly byte[] s_guestB = [0x52, 0x54, 0x00, 0x13, 0x00, 0x0b];
    private static readonly byte[] s_nobody = [0x02, 0x00, 0x5e, 0x13, 0x00, 0x99];
    private static readonly byte[] s_client = [0x02, 0x00, 0x5e, 0x13, 0x00, 0x01];

    private readonly string _directory = Directory.CreateTempSubdirectory("suphost-qemu-").FullName;
    private readonly List<string> _networks = [];

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
    public void A_stream_peer_s_frames_split_and_merged_reach_an_interface_and_the_interface_s_come_back_framed()
    {
        string path = Path.Combine(_directory, "stream.sock");
        string name = Create("--stream", path);
        using SupClient client = fixture.Daemon.Connect();
        using IntNetInterface port = client.OpenIntNetInterface(new IntNetOpenOptions { Network = name });
        port.SetActive(true);
        using Socket guest = QemuPeer.ConnectStream(path);
        JsonElement qemu = WaitForPorts(client, name, "qemu-stream", 1).Single();

        // Three frames as one stream, written in pieces that cut the first header, the first frame
        // and the second frame; the last piece merges the end of the second with the whole third.
        byte[][] frames = [QemuPeer.Frame(s_broadcast, s_guestA, 60, 1), QemuPeer.Frame(s_broadcast, s_guestA, 1514, 2), QemuPeer.Frame(s_broadcast, s_guestA, 9014, 3)];
        byte[] stream = QemuPeer.Framed(frames);
        int[] cuts = [1, 3, 4 + 30, 4 + 60 + 4 + 700, stream.Length];
        int sent = 0;
        foreach (int cut in cuts)
        {
            guest.Send(stream.AsSpan(sent, cut - sent));
            sent = cut;
            if (cut == 1 || cut == 3 || cut == 4 + 30)
            {
                // The switch holds what it read of the frame and waits for the rest.
                int held = cut;
                Poll.Until(() => PortById(client, name, qemu).GetProperty("partialBytes").GetInt32() == held, $"{held} bytes held of the first frame");
            }
        }

        byte[] received = new byte[70_000];
        foreach (byte[] frame in frames)
        {
            int length = port.Receive(received, s_wait);
            Assert.Equal(frame, received[..length]);
        }

        // The port learned the guest's MAC from its frames: the interface's unicast goes to it, framed.
        byte[][] replies = [QemuPeer.Frame(s_guestA, s_client, 1514, 4), QemuPeer.Frame(s_guestA, s_client, 60, 5), QemuPeer.Frame(s_guestA, s_client, 16_000, 6)];
        foreach (byte[] reply in replies)
        {
            port.Send(reply);
        }

        foreach (byte[] reply in replies)
        {
            Assert.Equal(reply, QemuPeer.ReadFrame(guest, s_wait));
        }

        JsonElement shown = PortById(client, name, qemu);
        Assert.Equal("52:54:00:13:00:0a", shown.GetProperty("mac").GetString());
        Assert.False(shown.GetProperty("gso").GetBoolean());
        Assert.True(shown.GetProperty("active").GetBoolean());
        Assert.Equal(path, shown.GetProperty("endpoint").GetString());
        Assert.Equal(0, shown.GetProperty("partialBytes").GetInt32());
        JsonElement counters = shown.GetProperty("counters");
        Assert.Equal(3, counters.GetProperty("framesIn").GetInt64());
        Assert.Equal(frames.Sum(f => f.Length), counters.GetProperty("bytesIn").GetInt64());
        Assert.Equal(3, counters.GetProperty("framesOut").GetInt64());
        Assert.Equal(replies.Sum(f => f.Length), counters.GetProperty("bytesOut").GetInt64());
        JsonElement endpoint = Endpoint(client, name);
        Assert.Equal("stream-listen", endpoint.GetProperty("kind").GetString());
        Assert.Equal("listening", endpoint.GetProperty("state").GetString());
        Assert.Equal(1, endpoint.GetProperty("counters").GetProperty("connections").GetInt64());

        // The guest goes: so does its port. The network's deletion removes the socket path.
        guest.Close();
        WaitForPorts(client, name, "qemu-stream", 0);
        Delete(name);
        Assert.False(File.Exists(path), $"{path} outlived its network");
    }

    [Fact]
    public void Stream_peers_with_a_zero_an_oversized_or_a_garbage_length_or_half_a_frame_are_closed_and_counted_while_the_others_talk()
    {
        string path = Path.Combine(_directory, "hostile.sock");
        string name = Create("--stream", path);
        using SupClient client = fixture.Daemon.Connect();

        // Half a frame, then nothing: the switch waits for the rest only so long.
        using Socket stall = QemuPeer.ConnectStream(path);
        stall.Send(QemuPeer.Framed(QemuPeer.Frame(s_nobody, s_guestB, 1514, 9)).AsSpan(0, 700));
        using Socket a = QemuPeer.ConnectStream(path);
        using Socket b = QemuPeer.ConnectStream(path);
        WaitForPorts(client, name, "qemu-stream", 3);

        // The largest frame QEMU takes passes from one guest to the other.
        byte[] largest = QemuPeer.Frame(s_broadcast, s_guestA, 69_632, 1);
        a.Send(QemuPeer.Framed(largest));
        Assert.Equal(largest, QemuPeer.ReadFrame(b, s_wait));

        byte[] oversized = new byte[4 + 100];
        BinaryPrimitives.WriteUInt32BigEndian(oversized, 69_633);
        byte[] garbage = new byte[512];
        new Random(13).NextBytes(garbage);
        garbage[0] = 0xde;
        foreach (byte[] hostile in new[] { new byte[4], oversized, garbage })
        {
            using Socket peer = QemuPeer.ConnectStream(path);
            peer.Send(hostile);
            Assert.True(QemuPeer.Ended(peer, s_wait), "the switch kept a connection with a bad length");
        }

        using (Socket truncated = QemuPeer.ConnectStream(path))
        {
            truncated.Send(QemuPeer.Framed(QemuPeer.Frame(s_nobody, s_guestB, 1514, 10)).AsSpan(0, 900));
        }

        // The guests talk on, both ways.
        byte[] fromB = QemuPeer.Frame(s_broadcast, s_guestB, 1514, 2);
        b.Send(QemuPeer.Framed(fromB));
        Assert.Equal(fromB, QemuPeer.ReadFrame(a, s_wait));
        byte[] toB = QemuPeer.Frame(s_guestB, s_guestA, 600, 3);
        a.Send(QemuPeer.Framed(toB));
        Assert.Equal(toB, QemuPeer.ReadFrame(b, s_wait));

        Poll.Until(() => Count(client, name, "truncated") == 1, () => $"the connection cut in a frame counted (counters: {Endpoint(client, name).GetProperty("counters")})");
        Assert.Equal(3, Count(client, name, "badLength"));
        Assert.True(QemuPeer.Ended(stall, TimeSpan.FromSeconds(30)), "half a frame kept its connection");
        Assert.Equal(1, Count(client, name, "stalled"));
        Assert.Equal(7, Count(client, name, "connections"));
        Assert.Equal(2, WaitForPorts(client, name, "qemu-stream", 2).Count);
        Delete(name);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Datagram_peers_are_learned_by_source_path_a_flood_from_many_paths_is_refused_and_a_peer_whose_socket_went_is_forgotten()
    {
        string path = Path.Combine(_directory, "dgram.sock");
        string name = Create("--dgram", path, "--max-peers", "4");
        using SupClient client = fixture.Daemon.Connect();
        var endpoint = new UnixDomainSocketEndPoint(path);
        using Socket a = QemuPeer.BindDatagram(Path.Combine(_directory, "a"));
        using Socket b = QemuPeer.BindDatagram(Path.Combine(_directory, "b"));
        a.ReceiveTimeout = b.ReceiveTimeout = (int)s_wait.TotalMilliseconds;
        a.SendTo(QemuPeer.Frame(s_nobody, s_guestA, 60, 1), endpoint);
        b.SendTo(QemuPeer.Frame(s_nobody, s_guestB, 60, 2), endpoint);
        List<JsonElement> peers = WaitForPorts(client, name, "qemu-dgram", 2);
        Assert.Equal([Path.Combine(_directory, "a"), Path.Combine(_directory, "b")], peers.Select(p => p.GetProperty("peer").GetString()).Order(StringComparer.Ordinal));

        // One frame a datagram, both ways, byte for byte.
        byte[] buffer = new byte[70_000];
        byte[] broadcast = QemuPeer.Frame(s_broadcast, s_guestB, 9014, 3);
        b.SendTo(broadcast, endpoint);
        Assert.Equal(broadcast, buffer[..a.Receive(buffer)]);
        byte[] unicast = QemuPeer.Frame(s_guestB, s_guestA, 1514, 4);
        a.SendTo(unicast, endpoint);
        Assert.Equal(unicast, buffer[..b.Receive(buffer)]);

        // Ten more source paths: two fit the limit of four, eight are refused.
        var flood = new List<Socket>();
        try
        {
            for (int i = 0; i < 10; i++)
            {
                Socket f = QemuPeer.BindDatagram(Path.Combine(_directory, $"flood{i}"));
                flood.Add(f);
                f.SendTo(QemuPeer.Frame(s_nobody, [0x02, 0, 0, 0, 0x10, (byte)i], 60, i), endpoint);
            }

            Poll.Until(() => Count(client, name, "refused") == 8, () => $"8 peers refused (counters: {Endpoint(client, name).GetProperty("counters")})");
            Assert.Equal(4, Ports(client, name, "qemu-dgram").Count);
        }
        finally
        {
            flood.ForEach(f => f.Dispose());
        }

        // Empty and oversized datagrams are dropped and counted.
        a.SendTo([], endpoint);
        a.SendTo(new byte[69_633], endpoint);
        Poll.Until(() => Count(client, name, "badLength") == 2, "2 datagrams of a bad size counted");

        // A peer whose socket went is forgotten at the first send to it that fails.
        b.Dispose();
        File.Delete(Path.Combine(_directory, "b"));
        a.SendTo(QemuPeer.Frame(s_guestB, s_guestA, 100, 5), endpoint);
        Poll.Until(() => Count(client, name, "sendFailed") == 1, "the failed send to b counted");
        Poll.Until(() => Ports(client, name, "qemu-dgram").All(p => p.GetProperty("peer").GetString() != Path.Combine(_directory, "b")), "b forgotten");

        // a still talks.
        using Socket c = QemuPeer.BindDatagram(Path.Combine(_directory, "c"));
        c.ReceiveTimeout = (int)s_wait.TotalMilliseconds;
        byte[] fromA = QemuPeer.Frame(s_broadcast, s_guestA, 800, 6);
        c.SendTo(QemuPeer.Frame(s_nobody, s_guestB, 60, 7), endpoint);
        Poll.Until(() => Ports(client, name, "qemu-dgram").Any(p => p.GetProperty("peer").GetString() == Path.Combine(_directory, "c")), "c learned");
        a.SendTo(fromA, endpoint);
        Assert.Equal(fromA, buffer[..c.Receive(buffer)]);
        Delete(name);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void A_datagram_peer_is_forgotten_after_the_idle_time()
    {
        string path = Path.Combine(_directory, "idle.sock");
        string name = Create("--dgram", path, "--dgram-idle", "0.5");
        using SupClient client = fixture.Daemon.Connect();
        using Socket a = QemuPeer.BindDatagram(Path.Combine(_directory, "a"));
        a.SendTo(QemuPeer.Frame(s_nobody, s_guestA, 60, 1), new UnixDomainSocketEndPoint(path));
        WaitForPorts(client, name, "qemu-dgram", 1);
        WaitForPorts(client, name, "qemu-dgram", 0);
        Assert.Equal(1, Count(client, name, "expired"));
        Assert.Equal(500, Endpoint(client, name).GetProperty("idleMs").GetInt32());
        Delete(name);
    }

    [Fact]
    public void A_guest_that_stops_reading_fills_its_queue_then_loses_counted_frames_and_the_others_get_all_of_theirs()
    {
        const int Total = 1000;
        const int Batch = 50;
        string path = Path.Combine(_directory, "paused.sock");
        string name = Create("--stream", path, "--qemu-queue", "69636");
        using SupClient client = fixture.Daemon.Connect();
        using IntNetInterface port = client.OpenIntNetInterface(new IntNetOpenOptions { Network = name });
        port.SetActive(true);
        using Socket paused = QemuPeer.ConnectStream(path);
        List<JsonElement> first = WaitForPorts(client, name, "qemu-stream", 1);
        using Socket reader = QemuPeer.ConnectStream(path);
        uint pausedId = first.Single().GetProperty("id").GetUInt32();
        List<JsonElement> both = WaitForPorts(client, name, "qemu-stream", 2);
        uint readerId = both.Single(p => p.GetProperty("id").GetUInt32() != pausedId).GetProperty("id").GetUInt32();

        for (int start = 0; start < Total; start += Batch)
        {
            for (int i = start; i < start + Batch; i++)
            {
                port.Send(QemuPeer.Frame(s_broadcast, s_client, 1514, i));
            }

            for (int i = start; i < start + Batch; i++)
            {
                Assert.Equal(QemuPeer.Frame(s_broadcast, s_client, 1514, i), QemuPeer.ReadFrame(reader, s_wait));
            }
        }

        JsonElement pausedCounters = Port(client, name, pausedId).GetProperty("counters");
        JsonElement readerCounters = Port(client, name, readerId).GetProperty("counters");
        long kept = pausedCounters.GetProperty("framesOut").GetInt64();
        long lost = pausedCounters.GetProperty("lost").GetInt64();
        Assert.True(lost > 0, $"the paused guest lost nothing of {Total} frames ({kept} kept)");
        Assert.Equal(Total, kept + lost);
        Assert.Equal(Total, readerCounters.GetProperty("framesOut").GetInt64());
        Assert.Equal(0, readerCounters.GetProperty("lost").GetInt64());
        Assert.True(Port(client, name, pausedId).GetProperty("queuedBytes").GetInt32() <= 69_636);

        // The paused guest reads again: it gets what was kept, the oldest frames, in order and whole.
        for (int i = 0; i < kept; i++)
        {
            Assert.Equal(QemuPeer.Frame(s_broadcast, s_client, 1514, i), QemuPeer.ReadFrame(paused, s_wait));
        }

        Poll.Until(() => Port(client, name, pausedId).GetProperty("queuedBytes").GetInt32() == 0, "the paused guest's queue drained");
        Delete(name);
    }

    [Fact]
    public void A_stream_connect_back_end_connects_once_the_guest_listens_and_again_after_the_connection_is_cut()
    {
        string path = Path.Combine(_directory, "server.sock");
        string name = Create("--stream-connect", path);
        using SupClient client = fixture.Daemon.Connect();
        Poll.Until(() => Endpoint(client, name).GetProperty("lastError").ValueKind == JsonValueKind.String, "a failed connect reported");
        Assert.Equal("connecting", Endpoint(client, name).GetProperty("state").GetString());

        using IntNetInterface port = client.OpenIntNetInterface(new IntNetOpenOptions { Network = name });
        port.SetActive(true);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(4);
        byte[] received = new byte[70_000];
        for (int round = 1; round <= 2; round++)
        {
            Assert.True(listener.Poll(s_wait, SelectMode.SelectRead), $"no connection from the switch in round {round}");
            using Socket guest = listener.Accept();
            Poll.Until(() => Endpoint(client, name).GetProperty("state").GetString() == "connected", "connected");
            byte[] frame = QemuPeer.Frame(s_broadcast, s_guestA, 1000, round);
            guest.Send(QemuPeer.Framed(frame));
            Assert.Equal(frame, received[..port.Receive(received, s_wait)]);
            byte[] reply = QemuPeer.Frame(s_guestA, s_client, 500, round);
            port.Send(reply);
            Assert.Equal(reply, QemuPeer.ReadFrame(guest, s_wait));
        }

        Assert.Equal(2, Count(client, name, "connections"));
        Delete(name);
    }

    [Fact]
    public void Stream_back_ends_on_loopback_tcp_listen_and_connect()
    {
        string name = Create("--stream", "tcp:0");
        using SupClient client = fixture.Daemon.Connect();
        using IntNetInterface port = client.OpenIntNetInterface(new IntNetOpenOptions { Network = name });
        port.SetActive(true);
        string address = Endpoint(client, name).GetProperty("path").GetString()!;
        Match bound = Regex.Match(address, @"^tcp:127\.0\.0\.1:(?<port>\d+)$", RegexOptions.ExplicitCapture, TimeSpan.FromSeconds(1));
        Assert.True(bound.Success, address);
        int listening = int.Parse(bound.Groups["port"].Value, CultureInfo.InvariantCulture);
        Assert.NotEqual(0, listening);
        byte[] received = new byte[70_000];
        using (var guest = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            guest.Connect(IPAddress.Loopback, listening);
            WaitForPorts(client, name, "qemu-stream", 1);
            byte[] frame = QemuPeer.Frame(s_broadcast, s_guestA, 1514, 1);
            guest.Send(QemuPeer.Framed(frame));
            Assert.Equal(frame, received[..port.Receive(received, s_wait)]);
            byte[] reply = QemuPeer.Frame(s_guestA, s_client, 900, 2);
            port.Send(reply);
            Assert.Equal(reply, QemuPeer.ReadFrame(guest, s_wait));
        }

        // The network connects to a listener on the loopback, as to a QEMU with server=on.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        int target = ((IPEndPoint)listener.LocalEndPoint!).Port;
        string connecting = Create("--stream-connect", $"tcp:{target}");
        using IntNetInterface other = client.OpenIntNetInterface(new IntNetOpenOptions { Network = connecting });
        other.SetActive(true);
        Assert.True(listener.Poll(s_wait, SelectMode.SelectRead), "the network did not connect");
        using Socket accepted = listener.Accept();
        Poll.Until(() => Endpoint(client, connecting).GetProperty("state").GetString() == "connected", "connected over TCP");
        Assert.Equal($"tcp:127.0.0.1:{target}", Endpoint(client, connecting).GetProperty("path").GetString());
        byte[] over = QemuPeer.Frame(s_broadcast, s_guestB, 3000, 3);
        accepted.Send(QemuPeer.Framed(over));
        Assert.Equal(over, received[..other.Receive(received, s_wait)]);

        // Only the loopback, and no TCP for datagrams.
        Assert.Equal(SupStatus.InvalidName, Assert.Throws<SupException>(() => client.AddIntNetQemu(name, new IntNetQemuOptions { Kind = IntNetQemuKind.StreamConnect, Path = "tcp:10.0.0.1:80" })).Status);
        Assert.Equal(SupStatus.InvalidParameter, Assert.Throws<SupException>(() => client.AddIntNetQemu(name, new IntNetQemuOptions { Kind = IntNetQemuKind.Datagram, Path = "tcp:4000" })).Status);
        Delete(name);
        Delete(connecting);
        Assert.True(QemuPeer.Ended(accepted, s_wait), "the connection outlived its network");
    }

    [Fact]
    public void A_back_end_on_a_path_that_exists_a_relative_path_or_a_network_that_is_not_persistent_is_refused()
    {
        string taken = Path.Combine(_directory, "taken");
        File.WriteAllText(taken, "not a socket");
        string name = $"qemu-{Guid.NewGuid().ToString("N")[..8]}";
        (int code, _, string stderr) = Tool.Supctl("net", "create", name, "--stream", taken, "--run-dir", RunDir);
        Assert.NotEqual(0, code);
        Assert.Contains("AlreadyExists", stderr, StringComparison.Ordinal);
        Assert.Contains("deleted again", stderr, StringComparison.Ordinal);
        Assert.Equal("not a socket", File.ReadAllText(taken));
        using SupClient client = fixture.Daemon.Connect();
        Assert.DoesNotContain($"\"name\":\"{name}\"", client.ListIntNetNetworks(), StringComparison.Ordinal);

        string persistent = Create();
        SupException relative = Assert.Throws<SupException>(() => client.AddIntNetQemu(persistent, new IntNetQemuOptions { Kind = IntNetQemuKind.StreamListen, Path = "relative.sock" }));
        Assert.Equal(SupStatus.InvalidName, relative.Status);
        SupException kind = Assert.Throws<SupException>(() => client.AddIntNetQemu(persistent, new IntNetQemuOptions { Kind = (IntNetQemuKind)9, Path = Path.Combine(_directory, "k") }));
        Assert.Equal(SupStatus.InvalidParameter, kind.Status);

        string transient = $"qemu-{Guid.NewGuid().ToString("N")[..8]}";
        using IntNetInterface port = client.OpenIntNetInterface(new IntNetOpenOptions { Network = transient });
        SupException notPersistent = Assert.Throws<SupException>(() => client.AddIntNetQemu(transient, new IntNetQemuOptions { Kind = IntNetQemuKind.Datagram, Path = Path.Combine(_directory, "t") }));
        Assert.Equal(SupStatus.InvalidParameter, notPersistent.Status);
        Assert.False(File.Exists(Path.Combine(_directory, "t")));
    }

    private static JsonElement Show(SupClient client, string name) => JsonDocument.Parse(client.ShowIntNetNetwork(name)).RootElement.Clone();

    private static List<JsonElement> Ports(SupClient client, string name, string kind) =>
        [.. Show(client, name).GetProperty("ports").EnumerateArray().Where(p => p.GetProperty("kind").GetString() == kind)];

    private static List<JsonElement> WaitForPorts(SupClient client, string name, string kind, int count)
    {
        List<JsonElement> ports = [];
        Poll.Until(() => (ports = Ports(client, name, kind)).Count == count, () => $"{count} {kind} ports on {name} (there are {ports.Count})");
        return ports;
    }

    private static JsonElement Port(SupClient client, string name, uint id) =>
        Show(client, name).GetProperty("ports").EnumerateArray().Single(p => p.GetProperty("id").GetUInt32() == id);

    private static JsonElement PortById(SupClient client, string name, JsonElement port) => Port(client, name, port.GetProperty("id").GetUInt32());

    private static JsonElement Endpoint(SupClient client, string name) => Show(client, name).GetProperty("qemu").EnumerateArray().Single();

    private static long Count(SupClient client, string name, string counter) => Endpoint(client, name).GetProperty("counters").GetProperty(counter).GetInt64();

    private string Create(params string[] options)
    {
        string name = $"qemu-{Guid.NewGuid().ToString("N")[..8]}";
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
