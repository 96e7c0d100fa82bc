using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SupHost.Client;
using SupHost.Protocol;

namespace Supd.Tests;

/// <summary>
/// Issue 10, item 3: a module's I/O (IModuleIo) through the test-io module over the real daemon:
/// a readiness loop over many events and sockets, a TAP in a named namespace, a packet socket on a
/// veth, Unix stream and datagram sockets; each closed with its module, the daemon back to its baseline.
/// Namespaces and veths are made and removed by name; traffic stays inside them.
/// </summary>
public sealed class ModuleIoTests : IDisposable
{
    private const int WouldBlock = (int)SupStatus.WouldBlock;

    private readonly Daemon _daemon = Daemon.Start();
    private readonly List<string> _namespaces = [];

    [Fact]
    public void A_readiness_loop_over_100_events_and_10_sockets_sees_exactly_what_was_signalled_in_order_and_stops_at_unload()
    {
        using SupClient client = _daemon.Connect();
        int fds = _daemon.FdCount();
        var io = new IoModule(client);
        io.Ok("StartLoop");

        // 100 events, 10 socket pairs, the set's epoll and wake descriptors.
        Assert.True(_daemon.FdCount() >= fds + 100 + 20 + 2, $"{_daemon.FdCount()} descriptors, {fds} before");

        ushort[] first = [7, 103, 42, 0, 99, 109, 100, 55];
        io.Ok("Fire", Tokens(first));
        Poll.Until(() => io.Seen().Length >= first.Length, "the loop to see the first tokens");
        Assert.Equal(first, io.Seen());

        // Consumed tokens fire again; a last token marks the end, so nothing else came in between.
        ushort[] second = [42, 7, 104, 1];
        io.Ok("Fire", Tokens(second));
        Poll.Until(() => io.Seen().Length >= first.Length + second.Length, "the loop to see the second tokens");
        Assert.Equal([.. first, .. second], io.Seen());

        // The unload cancels the loop's worker, whose Wait ends (WaitCancelled), and closes all 122 descriptors.
        Assert.Equal(SupStatus.ModuleUnloaded, client.FreeModule(io.Module));
        _daemon.WaitForOutput("[test-io] io loop ended: -42");
        _daemon.WaitForOutput("Module test-io: closed 120 I/O handles and 1 readiness sets it left open at unload");
        Poll.Until(() => client.QueryStatus() is { Modules: 0 } s && s.ModulesCollected == s.ModulesUnloaded, "test-io's load context to be collected");
        Assert.DoesNotContain("did not stop", _daemon.Output, StringComparison.Ordinal);
        Poll.Until(() => _daemon.FdCount() == fds, () => $"the daemon's descriptors to return to {fds} (now {_daemon.FdCount()}: {_daemon.FdTargets()})");
        using SupClient fresh = _daemon.Connect();
        fresh.Nop();
    }

    [Fact]
    public void Misused_io_answers_statuses_and_a_disposed_set_ends_its_wait()
    {
        using SupClient client = _daemon.Connect();
        int fds = _daemon.FdCount();
        var io = new IoModule(client);
        byte[] answer = io.Ok("Misuse");
        int[] statuses = new int[answer.Length / 4];
        for (int i = 0; i < statuses.Length; i++)
        {
            statuses[i] = BinaryPrimitives.ReadInt32LittleEndian(answer.AsSpan(i * 4));
        }

        int[] expected =
        [
            (int)SupStatus.InvalidParameter, // interest None
            0,
            (int)SupStatus.AlreadyExists, // added twice
            (int)SupStatus.InvalidParameter, // no room for ready handles
            (int)SupStatus.InvalidParameter, // Signal of a socket
            (int)SupStatus.InvalidParameter, // 65 buffers
            (int)SupStatus.ObjectDying, // read of a closed handle
            (int)SupStatus.ObjectDying, // a closed handle added
            1, // the peer's close is seen at once
            1 | 8, // Readable | HangUp
            0, // the end of the stream
            (int)SupStatus.ObjectDying, // the wait the set's disposal ended
            (int)SupStatus.ObjectDying, // an add to a disposed set
            0, // the closed handle left the set
        ];
        Assert.Equal(expected, statuses);

        Assert.Equal(SupStatus.ModuleUnloaded, client.FreeModule(io.Module));
        Poll.Until(() => _daemon.FdCount() == fds, () => $"the daemon's descriptors to return to {fds} (now {_daemon.FdCount()}: {_daemon.FdTargets()})");
        client.Nop();
    }

    [Fact]
    public void A_module_holds_at_most_4096_descriptors_and_gets_them_back_when_it_closes_them()
    {
        using SupClient client = _daemon.Connect();
        int fds = _daemon.FdCount();
        var io = new IoModule(client);
        (int status, byte[] data) = io.CallRaw("Flood", 0, []);
        Assert.Equal((int)SupStatus.LimitReached, status);
        Assert.Equal(4096, BinaryPrimitives.ReadInt32LittleEndian(data));
        Assert.Equal(
            "opening an event: 4096 descriptors of module test-io are held; 1 more would exceed the daemon's limit of 4096",
            Encoding.UTF8.GetString(data, 4, data.Length - 4));
        Assert.Equal(fds + 4096, _daemon.FdCount());

        // Others are served meanwhile; closed, the budget is whole again.
        using (SupClient other = _daemon.Connect())
        {
            other.Nop();
        }

        io.Ok("Drain");
        Assert.Equal(fds, _daemon.FdCount());
        (int again, byte[] againData) = io.CallRaw("Flood", 0, []);
        Assert.Equal((int)SupStatus.LimitReached, again);
        Assert.Equal(4096, BinaryPrimitives.ReadInt32LittleEndian(againData));
        io.Ok("Drain");
        Assert.Equal(SupStatus.ModuleUnloaded, client.FreeModule(io.Module));
        Poll.Until(() => _daemon.FdCount() == fds, () => $"the daemon's descriptors to return to {fds} (now {_daemon.FdCount()})");
    }

    [Fact]
    public void A_tap_made_in_a_named_namespace_is_configured_carries_frames_both_ways_and_goes_with_its_module()
    {
        string ns = Namespace();
        string tap = "suptap" + Hex(3);
        using SupClient client = _daemon.Connect();
        int fds = _daemon.FdCount();
        var io = new IoModule(client);

        // Refusals name the value and the limit.
        (int missing, string missingWhy) = io.Call("CreateTap", 1, $"{tap}|{ns}-gone");
        Assert.Equal((int)SupStatus.NotFound, missing);
        Assert.Contains($"/run/netns/{ns}-gone", missingWhy, StringComparison.Ordinal);
        (int badName, string badNameWhy) = io.Call("CreateTap", 1, $"a/b|{ns}");
        Assert.Equal((int)SupStatus.InvalidName, badName);
        Assert.Contains("'a/b' is not an interface name", badNameWhy, StringComparison.Ordinal);

        io.Ok("CreateTap", 1, $"{tap}|{ns}");
        (int badMtu, string badMtuWhy) = io.Call("Link", 0, $"{tap}|{ns}|20||");
        Assert.Equal((int)SupStatus.InvalidParameter, badMtu);
        Assert.Contains("MTU 20 is outside 68 to 65535", badMtuWhy, StringComparison.Ordinal);
        io.Ok("Link", 0, $"{tap}|{ns}|1400|02537570a001|1");
        JsonElement link = Link(ns, tap);
        Assert.Equal(1400, link.GetProperty("mtu").GetInt32());
        Assert.Equal("02:53:75:70:a0:01", link.GetProperty("address").GetString());
        Assert.Contains("UP", Flags(link));
        _daemon.WaitForOutput($"Module test-io: TAP {tap} created in network namespace {ns}");

        // A frame the module writes (behind a zero virtio_net_hdr, gathered from two buffers) is one the namespace receives.
        long received = Link(ns, tap, statistics: true).GetProperty("stats64").GetProperty("rx").GetProperty("packets").GetInt64();
        byte[] outgoing = Frame(Convert.FromHexString("ffffffffffff"), Convert.FromHexString("02537570a001"), "to-the-namespace");
        Assert.Equal(10 + outgoing.Length, BinaryPrimitives.ReadInt32LittleEndian(io.Ok("Write", 1, outgoing, operation: 10)));
        Poll.Until(
            () => Link(ns, tap, statistics: true).GetProperty("stats64").GetProperty("rx").GetProperty("packets").GetInt64() == received + 1,
            "the namespace to count the module's frame");

        // A frame sent in the namespace is one the module reads (its header scattered into a buffer of its own).
        byte[] incoming = Frame(Convert.FromHexString("02537570a001"), Convert.FromHexString("020000000002"), "from-the-namespace");
        SendInNamespace(ns, tap, incoming);
        Poll.Until(() => ReadUntil(io, 1, 10, incoming), "the module to read the namespace's frame");

        // The TAP goes with its module; the daemon is back to its baseline.
        Assert.Equal(SupStatus.ModuleUnloaded, client.FreeModule(io.Module));
        Poll.Until(() => Tool.Run("ip", "-n", ns, "link", "show", "dev", tap).ExitCode != 0, $"{tap} to be gone from {ns}");
        Poll.Until(() => _daemon.FdCount() == fds, () => $"the daemon's descriptors to return to {fds} (now {_daemon.FdCount()}: {_daemon.FdTargets()})");
        using SupClient fresh = _daemon.Connect();
        fresh.Nop();
    }

    [Fact]
    public void A_tap_moved_into_another_namespace_keeps_carrying_frames_there_and_goes_with_its_module()
    {
        string from = Namespace();
        string to = Namespace();
        string tap = "suptap" + Hex(3);
        using SupClient client = _daemon.Connect();
        int fds = _daemon.FdCount();
        var io = new IoModule(client);
        io.Ok("CreateTap", 1, $"{tap}|{from}");

        (int missing, string missingWhy) = io.Call("MoveLink", 0, $"{tap}|{from}|{to}-gone");
        Assert.Equal((int)SupStatus.NotFound, missing);
        Assert.Contains($"opening the network namespace '{to}-gone' (/run/netns/{to}-gone) failed: ENOENT", missingWhy, StringComparison.Ordinal);

        io.Ok("MoveLink", 0, $"{tap}|{from}|{to}");
        Assert.NotEqual(0, Tool.Run("ip", "-n", from, "link", "show", "dev", tap).ExitCode);
        io.Ok("Link", 0, $"{tap}|{to}|||1");
        Assert.Contains("UP", Flags(Link(to, tap)));
        _daemon.WaitForOutput($"Module test-io: link {tap} moved from network namespace {from} to network namespace {to}");

        // The module's handle is the same device: its frame arrives in the new namespace.
        long received = Link(to, tap, statistics: true).GetProperty("stats64").GetProperty("rx").GetProperty("packets").GetInt64();
        byte[] frame = Frame(Convert.FromHexString("ffffffffffff"), Convert.FromHexString("02537570a002"), "after-the-move");
        io.Ok("Write", 1, frame, operation: 10);
        Poll.Until(
            () => Link(to, tap, statistics: true).GetProperty("stats64").GetProperty("rx").GetProperty("packets").GetInt64() == received + 1,
            "the new namespace to count the module's frame");

        Assert.Equal(SupStatus.ModuleUnloaded, client.FreeModule(io.Module));
        Poll.Until(() => Tool.Run("ip", "-n", to, "link", "show", "dev", tap).ExitCode != 0, $"{tap} to be gone from {to}");
        Poll.Until(() => _daemon.FdCount() == fds, () => $"the daemon's descriptors to return to {fds} (now {_daemon.FdCount()}: {_daemon.FdTargets()})");
        using SupClient fresh = _daemon.Connect();
        fresh.Nop();
    }

    [Fact]
    public void A_packet_socket_on_a_veth_receives_what_the_peer_sends_and_its_promiscuous_membership_ends_with_its_module()
    {
        string near = Namespace();
        string far = Namespace();
        string veth = "supva" + Hex(3);
        string peer = "supvb" + Hex(3);
        Run("ip", "link", "add", "name", veth, "netns", near, "type", "veth", "peer", "name", peer, "netns", far);
        Run("ip", "-n", far, "link", "set", "dev", peer, "up");
        using SupClient client = _daemon.Connect();
        int fds = _daemon.FdCount();
        var io = new IoModule(client);

        (int missing, string missingWhy) = io.Call("OpenPacket", 2, $"nope0|{near}");
        Assert.Equal((int)SupStatus.NotFound, missing);
        Assert.Contains($"there is no interface nope0 in network namespace {near}", missingWhy, StringComparison.Ordinal);

        io.Ok("Link", 0, $"{veth}|{near}|||1");
        io.Ok("OpenPacket", 2, $"{veth}|{near}");
        io.Ok("OpenPacket", 3, $"{veth}|{near}", operation: 1);

        // Each membership counts in the device's promiscuity (IFLA_PROMISCUITY), not in its user-set IFF_PROMISC.
        Assert.Equal(2, Promiscuity(near, veth));

        // The plain socket reads the frame as sent; the PACKET_VNET_HDR one reads it behind a 10-byte virtio_net_hdr.
        byte[] frame = Frame(Convert.FromHexString("020000000077"), Convert.FromHexString("020000000078"), "over-the-veth");
        SendInNamespace(far, peer, frame);
        Poll.Until(() => ReadUntil(io, 2, 0, frame), "the packet socket to receive the peer's frame");
        Poll.Until(() => ReadUntil(io, 3, 10, frame), "the vnet-header packet socket to receive the peer's frame");

        Assert.Equal(SupStatus.ModuleUnloaded, client.FreeModule(io.Module));
        Poll.Until(() => Promiscuity(near, veth) == 0, $"{veth} to leave promiscuous mode");
        Poll.Until(() => _daemon.FdCount() == fds, () => $"the daemon's descriptors to return to {fds} (now {_daemon.FdCount()}: {_daemon.FdTargets()})");
        using SupClient fresh = _daemon.Connect();
        fresh.Nop();
    }

    [Fact]
    public void Unix_stream_and_datagram_sockets_listen_accept_connect_and_move_data_without_blocking_and_close_with_their_module()
    {
        string dir = Directory.CreateTempSubdirectory("supd-io-").FullName;
        try
        {
            string stream = Path.Combine(dir, "stream.sock");
            string datagram = Path.Combine(dir, "dgram.sock");
            string theirs = Path.Combine(dir, "theirs.sock");
            string deaf = Path.Combine(dir, "deaf.sock");
            using SupClient client = _daemon.Connect();
            int fds = _daemon.FdCount();
            var io = new IoModule(client);

            // Listen; nobody waits: WouldBlock, at once.
            io.Ok("Listen", 3, stream, operation: 1);
            Assert.Equal(WouldBlock, io.Call("Accept", 3, string.Empty, operation: 4).Status);
            using var connection = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            connection.Connect(new UnixDomainSocketEndPoint(stream));
            Poll.Until(() => io.Call("Accept", 3, string.Empty, operation: 4).Status == 0, "the module to accept");
            Assert.Equal(WouldBlock, io.Call("Read", 4, string.Empty).Status);
            connection.Send("ping"u8);
            Poll.Until(() => ReadUntil(io, 4, 0, "ping"u8.ToArray()), "the module to read the stream");
            io.Ok("Write", 4, "pong"u8.ToArray());
            byte[] reply = new byte[4];
            Assert.Equal(4, connection.Receive(reply));
            Assert.Equal("pong"u8.ToArray(), reply);

            // A datagram socket bound to a path receives one message per datagram.
            io.Ok("Listen", 5, datagram, operation: 2);
            using var sender = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            sender.SendTo("one datagram"u8, new UnixDomainSocketEndPoint(datagram));
            Poll.Until(() => ReadUntil(io, 5, 0, "one datagram"u8.ToArray()), "the module to read the datagram");

            // Connect out; a gathered write arrives as one stretch of stream.
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(theirs));
            listener.Listen(1);
            io.Ok("Connect", 6, theirs, operation: 1);
            using Socket accepted = listener.Accept();
            io.Ok("Write", 6, "gathered"u8.ToArray(), operation: 4);
            byte[] gathered = new byte[12];
            int got = 0;
            while (got < gathered.Length)
            {
                got += accepted.Receive(gathered.AsSpan(got));
            }

            Assert.Equal([0, 0, 0, 0, .. "gathered"u8.ToArray()], gathered);

            // A socket nobody listens on refuses: PeerClosed, with the path in the message.
            using (var bound = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
            {
                bound.Bind(new UnixDomainSocketEndPoint(deaf));
                (int refused, string why) = io.Call("Connect", 7, deaf, operation: 1);
                Assert.Equal((int)SupStatus.PeerClosed, refused);
                Assert.Contains($"connecting to {deaf} failed: ECONNREFUSED", why, StringComparison.Ordinal);
            }

            (int badType, string badTypeWhy) = io.Call("Connect", 7, theirs, operation: 9);
            Assert.Equal((int)SupStatus.InvalidParameter, badType);
            Assert.Contains("socket type 9 is neither Stream (1) nor Datagram (2)", badTypeWhy, StringComparison.Ordinal);

            // Closing one handle ends that connection; the unload closes the rest and removes the paths it bound.
            io.Ok("Close", 6);
            Assert.Equal(0, accepted.Receive(new byte[1]));
            Assert.Equal(SupStatus.ModuleUnloaded, client.FreeModule(io.Module));
            Assert.Equal(0, connection.Receive(new byte[1]));
            Poll.Until(() => !File.Exists(stream) && !File.Exists(datagram), "the module's socket paths to be removed");
            Poll.Until(() => _daemon.FdCount() == fds, () => $"the daemon's descriptors to return to {fds} (now {_daemon.FdCount()}: {_daemon.FdTargets()})");
            using SupClient fresh = _daemon.Connect();
            fresh.Nop();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    public void Dispose()
    {
        _daemon.Dispose();

        // By name, never by pattern: removing a namespace also removes the veth ends in it.
        foreach (string ns in _namespaces)
        {
            Tool.Run("ip", "netns", "del", ns);
        }
    }

    private static byte[] Tokens(ushort[] tokens)
    {
        byte[] bytes = new byte[tokens.Length * 2];
        for (int i = 0; i < tokens.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), tokens[i]);
        }

        return bytes;
    }

    private static string Hex(int bytes) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));

    /// <summary>An Ethernet frame of the local experimental type 0x88b5 carrying <paramref name="marker"/>, padded to 60 bytes.</summary>
    private static byte[] Frame(byte[] destination, byte[] source, string marker)
    {
        byte[] frame = new byte[60];
        destination.CopyTo(frame, 0);
        source.CopyTo(frame, 6);
        frame[12] = 0x88;
        frame[13] = 0xb5;
        Encoding.ASCII.GetBytes(marker).CopyTo(frame, 14);
        return frame;
    }

    /// <summary>Reads once from <paramref name="slot"/>; true when that read was <paramref name="expected"/> (other frames, such as the kernel's own, are skipped).</summary>
    private static bool ReadUntil(IoModule io, ulong slot, uint header, byte[] expected)
    {
        (int status, byte[] data) = io.CallRaw("Read", slot, [], header);
        Assert.True(status is 0 or WouldBlock, $"Read answered {status}: {Encoding.UTF8.GetString(data)}");
        return status == 0 && data.AsSpan().SequenceEqual(expected);
    }

    private static void Run(string file, params string[] args)
    {
        (int code, string stdout, string stderr) = Tool.Run(file, args);
        Assert.True(code == 0, $"{file} {string.Join(' ', args)} exited {code}: {stdout}{stderr}");
    }

    private static JsonElement Link(string ns, string name, bool statistics = false)
    {
        string[] args = statistics ? ["-n", ns, "-j", "-s", "link", "show", "dev", name] : ["-n", ns, "-j", "link", "show", "dev", name];
        (int code, string stdout, string stderr) = Tool.Run("ip", args);
        Assert.True(code == 0, $"ip {string.Join(' ', args)} exited {code}: {stderr}");
        return JsonDocument.Parse(stdout).RootElement[0].Clone();
    }

    private static int Promiscuity(string ns, string name)
    {
        (int code, string stdout, string stderr) = Tool.Run("ip", "-n", ns, "-d", "-j", "link", "show", "dev", name);
        Assert.True(code == 0, $"ip -d link show {name} exited {code}: {stderr}");
        return JsonDocument.Parse(stdout).RootElement[0].GetProperty("promiscuity").GetInt32();
    }

    private static string[] Flags(JsonElement link) => [.. link.GetProperty("flags").EnumerateArray().Select(f => f.GetString()!)];

    /// <summary>Sends <paramref name="frame"/> out of <paramref name="device"/> inside <paramref name="ns"/> through a packet socket there.</summary>
    private static void SendInNamespace(string ns, string device, byte[] frame) =>
        Run("ip", "netns", "exec", ns, "python3", "-c", $"import socket; s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(('{device}', 0)); s.send(bytes.fromhex('{Convert.ToHexString(frame)}'))");

    private string Namespace()
    {
        string name = "supio-" + Hex(4);
        Run("ip", "netns", "add", name);
        _namespaces.Add(name);
        return name;
    }

    /// <summary>test-io, loaded for one client; each call answers an int32 status, then data or the host's message.</summary>
    private sealed class IoModule
    {
        private readonly SupClient _client;
        private readonly Dictionary<string, ulong> _symbols = new(StringComparer.Ordinal);

        public IoModule(SupClient client)
        {
            _client = client;
            Module = Modules.Loaded(client, "test-io");
        }

        public ulong Module { get; }

        public (int Status, byte[] Data) CallRaw(string entry, ulong slot, byte[] input, uint operation = 0)
        {
            if (!_symbols.TryGetValue(entry, out ulong symbol))
            {
                symbol = _client.GetSymbol(Module, entry);
                _symbols[entry] = symbol;
            }

            SupReply reply = _client.CallModule(symbol, operation, slot, input, 4 + 8192);
            Assert.Equal(SupStatus.Success, reply.Status);
            return (BinaryPrimitives.ReadInt32LittleEndian(reply.Payload), reply.Payload[4..]);
        }

        public (int Status, string Message) Call(string entry, ulong slot, string input, uint operation = 0)
        {
            (int status, byte[] data) = CallRaw(entry, slot, Encoding.UTF8.GetBytes(input), operation);
            return (status, Encoding.UTF8.GetString(data));
        }

        public byte[] Ok(string entry, ulong slot = 0, string input = "", uint operation = 0) => Ok(entry, slot, Encoding.UTF8.GetBytes(input), operation);

        public byte[] Ok(string entry, ulong slot, byte[] input, uint operation = 0)
        {
            (int status, byte[] data) = CallRaw(entry, slot, input, operation);
            Assert.True(status == 0, $"{entry} answered {status}: {Encoding.UTF8.GetString(data)}");
            return data;
        }

        public byte[] Ok(string entry, byte[] input) => Ok(entry, 0, input);

        public ushort[] Seen()
        {
            byte[] data = Ok("Seen");
            ushort[] tokens = new ushort[data.Length / 2];
            for (int i = 0; i < tokens.Length; i++)
            {
                tokens[i] = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(i * 2));
            }

            return tokens;
        }
    }
}
