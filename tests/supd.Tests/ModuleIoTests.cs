using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using SupHost.Abi;
using SupHost.Client;
using SupHost.Native;
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
        Poll.Until(() => client.QueryStatus() is { } s && s.Modules == Daemon.StartModuleCount && s.ModulesCollected == s.ModulesUnloaded, "test-io's load context to be collected");
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
        long held = client.QueryStatus().DescriptorsHeld;
        (int status, byte[] data) = io.CallRaw("Flood", 0, []);
        Assert.Equal((int)SupStatus.LimitReached, status);
        Assert.Equal(4096, BinaryPrimitives.ReadInt32LittleEndian(data));
        Assert.Equal(
            "opening an event: 4096 descriptors of module test-io are held; 1 more would exceed the daemon's limit of 4096",
            Encoding.UTF8.GetString(data, 4, data.Length - 4));
        Assert.Equal(fds + 4096, _daemon.FdCount());

        // They count in the daemon's descriptor budget, which sessions share.
        Assert.Equal(held + 4096, client.QueryStatus().DescriptorsHeld);

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
    public void The_descriptors_a_module_may_hold_are_configurable()
    {
        using Daemon daemon = Daemon.StartWithConfig("""{ "Supd": { "MaxDescriptorsPerModule": 64 } }""");
        using SupClient client = daemon.Connect();
        var io = new IoModule(client);
        (int status, byte[] data) = io.CallRaw("Flood", 0, []);
        Assert.Equal((int)SupStatus.LimitReached, status);
        Assert.Equal(64, BinaryPrimitives.ReadInt32LittleEndian(data));
        io.Ok("Drain");
        Assert.Equal(0, client.QueryStatus().DescriptorsHeld);
    }

    [Fact]
    public void A_tap_made_in_a_named_namespace_is_configured_carries_frames_both_ways_and_goes_with_its_module()
    {
        string ns = Namespace();
        string tap = "suptap" + Tool.Hex(3);
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
        string tap = "suptap" + Tool.Hex(3);
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
        string veth = "supva" + Tool.Hex(3);
        string peer = "supvb" + Tool.Hex(3);
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

    [Fact]
    public void A_write_in_two_parts_from_spans_arrives_as_one_datagram_head_first()
    {
        string dir = Directory.CreateTempSubdirectory("supd-io-").FullName;
        try
        {
            string theirs = Path.Combine(dir, "theirs.sock");
            using SupClient client = _daemon.Connect();
            var io = new IoModule(client);
            using var peer = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            peer.Bind(new UnixDomainSocketEndPoint(theirs));
            io.Ok("Connect", 8, theirs, operation: 2);

            // A head and a body of different lengths: one datagram, the head first, nothing between.
            byte[] message = [.. "vnet-head!"u8.ToArray(), .. Enumerable.Range(0, 3000).Select(i => (byte)(i * 7))];
            Assert.Equal(message.Length, BinaryPrimitives.ReadInt32LittleEndian(io.Ok("WriteSplit", 8, message, operation: 10)));
            byte[] received = new byte[message.Length + 16];
            Assert.Equal(message.Length, peer.Receive(received));
            Assert.Equal(message, received[..message.Length]);

            // An empty body writes the head alone, an empty head the body alone.
            Assert.Equal(4, BinaryPrimitives.ReadInt32LittleEndian(io.Ok("WriteSplit", 8, "head"u8.ToArray(), operation: 4)));
            Assert.Equal(4, peer.Receive(received));
            Assert.Equal("head"u8.ToArray(), received[..4]);
            Assert.Equal(4, BinaryPrimitives.ReadInt32LittleEndian(io.Ok("WriteSplit", 8, "body"u8.ToArray(), operation: 0)));
            Assert.Equal(4, peer.Receive(received));
            Assert.Equal("body"u8.ToArray(), received[..4]);

            io.Ok("Close", 8);
            Assert.Equal(SupStatus.ModuleUnloaded, client.FreeModule(io.Module));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_clients_event_wakes_a_module_readiness_set_never_blocks_the_module_and_its_handles_close_with_the_event()
    {
        using SupClient client = _daemon.Connect();
        int fds = _daemon.FdCount();
        var io = new IoModule(client);
        EventSemaphore doorbell = client.CreateEvent();
        byte[] handle = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(handle, doorbell.Handle);

        // A handle over the client's event: the module's signal reaches the client's wait.
        io.Ok("OpenEvent", 21, handle);
        io.Ok("SignalOrConsume", 21);
        Assert.Equal(SupStatus.Success, doorbell.Wait(10_000));

        // The client makes its descriptor (the same open file) blocking: the module's Consume of a zero counter still answers at once.
        Libc.SetNonBlocking(doorbell.Descriptor, false);
        Assert.Equal(WouldBlock, Within(() => io.CallRaw("SignalOrConsume", 21, [], operation: 1), "the module's Consume of the client's blocking eventfd").Status);
        (int read, string readWhy) = io.Call("Read", 21, string.Empty);
        Assert.Equal((int)SupStatus.InvalidParameter, read);
        Assert.Contains("a session's event takes Signal and Consume only", readWhy, StringComparison.Ordinal);

        // Watched by a readiness loop: the client's signal wakes it, and the loop takes exactly that signal.
        io.Ok("OpenEvent", 20, handle, operation: 1);
        doorbell.Signal();
        Poll.Until(() => EventWakes(io, 20).Consumed.Length >= 1, "the module's loop to wake on the client's event");
        Assert.Equal([1L], EventWakes(io, 20).Consumed);
        Assert.Equal(SupStatus.WaitTimedOut, doorbell.Wait(0));

        // The loop stops consuming and the client signals once more: the event stays ready (the
        // loop spins, its choice). The client keeps its open file and closes the event: both module
        // handles close by themselves and leave the set, so the loop sleeps again.
        _ = EventWakes(io, 20, operation: 2);
        doorbell.Signal();
        long before = EventWakes(io, 20).Waits;
        Poll.Until(() => EventWakes(io, 20).Waits > before + 100, "the loop to see the unconsumed event again and again");
        using SafeFd kept = Libc.Duplicate(doorbell.Descriptor);
        doorbell.Dispose();
        Poll.Until(() => EventWakes(io, 20) is { Closed: true, InSet: 0 }, "the module's handles to close with the client's event");
        Assert.Equal((int)SupStatus.ObjectDying, io.Call("SignalOrConsume", 21, string.Empty).Status);

        // Asleep: over a 1 s window the daemon uses well under one CPU (a stale epoll entry of the
        // still-signalled file keeps the loop's wait spinning on a whole CPU: 116 % measured without
        // the fix; the runtime's background compilation can take a few tens of percent).
        double busy = DaemonCpuShare(TimeSpan.FromSeconds(1));
        Assert.True(busy < 0.6, $"the daemon used {busy:P0} of a CPU with its loop supposed to be asleep");

        Assert.Equal(SupStatus.ModuleUnloaded, client.FreeModule(io.Module));
        _daemon.WaitForOutput("[test-io] event loop ended: -42");
        Poll.Until(() => _daemon.FdCount() == fds, () => $"the daemon's descriptors to return to {fds} (now {_daemon.FdCount()}: {_daemon.FdTargets()})");
        Assert.Equal((int)SupStatus.InvalidHandle, new IoModule(client).CallRaw("OpenEvent", 22, handle).Status);
    }

    [Fact]
    public void A_worker_waiting_on_a_clients_event_without_limit_is_stopped_by_the_unload()
    {
        using SupClient client = _daemon.Connect();
        using EventSemaphore never = client.CreateEvent();
        var io = new IoModule(client);
        io.Ok("WaitInWorker", never.Handle);

        // The client frees the module and keeps its event: the unload cancels the worker, whose wait must end.
        Assert.Equal(SupStatus.ModuleUnloaded, client.FreeModule(io.Module));
        _daemon.WaitForOutput("[test-io] worker wait ended: -42");
        Poll.Until(() => client.QueryStatus() is { } s && s.Modules == Daemon.StartModuleCount && s.ModulesCollected == s.ModulesUnloaded, "test-io's load context to be collected");
        Assert.DoesNotContain("did not stop", _daemon.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Descriptors_a_client_sends_are_adopted_by_kind_refused_otherwise_and_never_block_whatever_the_client_does_to_them()
    {
        string dir = Directory.CreateTempSubdirectory("supd-adopt-").FullName;
        string tapName = "ad" + Tool.Hex(4);
        string plainName = "ap" + Tool.Hex(4);
        SafeFd? tap = null;
        SafeFd? plain = null;
        try
        {
            using SupClient client = _daemon.Connect();
            int fds = _daemon.FdCount();
            var io = new IoModule(client);
            Assert.Equal(Errno.None, Libc.TrySocketPairNonBlocking(Libc.SOCK_STREAM, out SafeFd? stream, out SafeFd? streamPeer));
            Assert.Equal(Errno.None, Libc.TrySocketPairNonBlocking(Libc.SOCK_DGRAM, out SafeFd? datagram, out SafeFd? datagramPeer));

            // TAPs made by this process (down, so they carry nothing): one as the Abi's Tap kind wants, one without the virtio header.
            Assert.Equal(Errno.None, Libc.TryCreateTap(tapName, vnetHeader: true, 0, out tap));
            Assert.Equal(Errno.None, Libc.TryCreateTap(plainName, vnetHeader: false, 0, out plain));
            string file = Path.Combine(dir, "file");
            File.WriteAllText(file, "not a socket");
            using Microsoft.Win32.SafeHandles.SafeFileHandle opened = File.OpenHandle(file);
            using var regular = new SafeFd((int)opened.DangerousGetHandle(), ownsHandle: false);
            Assert.Equal(Errno.None, Libc.TryBindUnixNonBlocking(Libc.SOCK_STREAM, Path.Combine(dir, "listener.sock"), 4, out SafeFd? listener));
            using (stream)
            using (streamPeer)
            using (datagram)
            using (datagramPeer)
            using (listener)
            {
                (int[] statuses, string[] messages) = io.Adopt(30, [stream!, datagram!, tap!, plain!, regular, listener!]);
                Assert.Equal([0, 0, 0, (int)SupStatus.InvalidParameter, (int)SupStatus.InvalidParameter, (int)SupStatus.InvalidParameter], statuses);
                Assert.Contains($"{plainName} is not a TAP with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR", messages[0], StringComparison.Ordinal);
                Assert.Contains("a regular file", messages[1], StringComparison.Ordinal);
                Assert.Contains("a listening socket cannot be adopted", messages[2], StringComparison.Ordinal);
                Assert.Equal([(int)IoHandleKind.UnixStream, (int)IoHandleKind.UnixDatagram, (int)IoHandleKind.Tap], [io.Kind(30), io.Kind(31), io.Kind(32)]);

                // The refused ones were closed with the call, the adopted ones are the module's: three more descriptors.
                Assert.Equal(fds + 3, _daemon.FdCount());

                // The client shares the open files and makes them blocking: the module's reads of nothing still answer at once.
                foreach (SafeFd shared in new[] { stream!, datagram!, tap! })
                {
                    Libc.SetNonBlocking(shared, false);
                }

                foreach (ulong slot in new ulong[] { 30, 31, 32 })
                {
                    Assert.Equal(WouldBlock, Within(() => io.CallRaw("Read", slot, []), $"the module's read of slot {slot}, a descriptor the client made blocking").Status);
                }

                // Data both ways through the adopted stream and datagram sockets.
                Assert.Equal(Errno.None, Libc.TryWrite(streamPeer!, "ping"u8, out _));
                Poll.Until(() => ReadUntil(io, 30, 0, "ping"u8.ToArray()), "the module to read the adopted stream");
                io.Ok("Write", 30, "pong"u8.ToArray());
                byte[] reply = new byte[4];
                Assert.Equal(Errno.None, Libc.TryRead(streamPeer!, reply, out int got));
                Assert.Equal("pong"u8.ToArray(), reply.AsSpan(0, got).ToArray());
                io.Ok("Write", 31, "one datagram"u8.ToArray());
                byte[] datagramReply = new byte[64];
                Assert.Equal(Errno.None, Libc.TryRead(datagramPeer!, datagramReply, out int datagramLength));
                Assert.Equal("one datagram"u8.ToArray(), datagramReply.AsSpan(0, datagramLength).ToArray());

                // The unload closes the module's copies; the TAP stays while this process holds it.
                Assert.Equal(SupStatus.ModuleUnloaded, client.FreeModule(io.Module));
                Poll.Until(() => _daemon.FdCount() == fds, () => $"the daemon's descriptors to return to {fds} (now {_daemon.FdCount()}: {_daemon.FdTargets()})");
                Assert.True(Directory.Exists($"/sys/class/net/{tapName}"), $"{tapName} went with the module's copy");
                client.Nop();
            }
        }
        finally
        {
            tap?.Dispose();
            plain?.Dispose();
            Directory.Delete(dir, recursive: true);
        }

        Assert.False(Directory.Exists($"/sys/class/net/{tapName}"), $"{tapName} outlived its last descriptor");
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

    private static (long Waits, int InSet, bool Closed, long[] Consumed) EventWakes(IoModule io, ulong slot, uint operation = 0)
    {
        byte[] data = io.Ok("EventWakes", slot, [], operation);
        long[] consumed = new long[(data.Length - 16) / 8];
        for (int i = 0; i < consumed.Length; i++)
        {
            consumed[i] = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(16 + (i * 8)));
        }

        return (BinaryPrimitives.ReadInt64LittleEndian(data), BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(8)), BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(12)) != 0, consumed);
    }

    /// <summary>Runs <paramref name="call"/> on another thread; fails the test when it has not returned within 30 s (it blocked).</summary>
    private static T Within<T>(Func<T> call, string what)
    {
        Task<T> running = Task.Run(call);
        Assert.True(running.Wait(TimeSpan.FromSeconds(30)), $"{what} blocked");
        return running.Result;
    }

    /// <summary>The share of one CPU the daemon's process used over <paramref name="window"/> (a measurement, not a synchronisation).</summary>
    private double DaemonCpuShare(TimeSpan window)
    {
        _daemon.Process.Refresh();
        TimeSpan start = _daemon.Process.TotalProcessorTime;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Thread.Sleep(window);
        _daemon.Process.Refresh();
        return (_daemon.Process.TotalProcessorTime - start).TotalSeconds / clock.Elapsed.TotalSeconds;
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
        string name = "supio-" + Tool.Hex(4);
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

        public int Kind(ulong slot) => BinaryPrimitives.ReadInt32LittleEndian(Ok("Kind", slot));

        /// <summary>Sends <paramref name="descriptors"/> to the module's Adopt: a status each, and the messages of the refused.</summary>
        public (int[] Statuses, string[] Messages) Adopt(ulong slot, IReadOnlyList<SafeFd> descriptors)
        {
            ulong symbol = _client.GetSymbol(Module, "Adopt");
            SupReply reply = _client.CallModule(symbol, 0, slot, [], 4 + 8192, descriptors, out IReadOnlyList<SafeFd> received);
            Assert.Equal(SupStatus.Success, reply.Status);
            Assert.Empty(received);
            Assert.Equal(0, BinaryPrimitives.ReadInt32LittleEndian(reply.Payload));
            byte[] data = reply.Payload[4..];
            int[] statuses = new int[descriptors.Count];
            for (int i = 0; i < statuses.Length; i++)
            {
                statuses[i] = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(i * 4));
            }

            string[] messages = Encoding.UTF8.GetString(data, statuses.Length * 4, data.Length - (statuses.Length * 4)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return (statuses, messages);
        }

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
