using System.Text;
using System.Text.Json;
using SupHost.Client;
using SupHost.IntNet.Format;
using static Supd.Tests.IntNetHarness;

namespace Supd.Tests;

/// <summary>
/// Issue 11, items 3 and 4, over the real daemon: each switching rule of REFERENCE.md §8 on its own,
/// frames moving through real shared rings and doorbells; what must not arrive is checked after the
/// Send kick, which returns only once the sender's ring has been switched.
/// </summary>
public sealed class IntNetSwitchingTests : IClassFixture<DaemonFixture>
{
    private const uint PromiscDenyClients = 1u << 8;
    private const uint InterfacePromiscDeny = 1u << 15;
    private const uint TrunkWireDisabled = 1u << 24;

    private readonly Daemon _daemon;

    public IntNetSwitchingTests(DaemonFixture fixture) => _daemon = fixture.Daemon;

    [Fact]
    public void A_broadcast_reaches_every_active_interface_but_the_sender()
    {
        using SupClient client = _daemon.Connect();
        string name = Unique("bcast");
        using IntNetHarness a = Active(client, name);
        using IntNetHarness b = Active(client, name);
        using IntNetHarness c = Active(client, name);
        byte[] frame = Frame(Broadcast, MacOf(1), 100, tag: 7);
        Assert.Equal(RingStatus.Success, a.Send(frame));
        Assert.Equal(frame, b.Receive()!.Value.Bytes);
        Assert.Equal(frame, c.Receive()!.Value.Bytes);
        a.Kick();
        Assert.Null(a.TryReceive());

        // Multicast (bit 0 of the first byte) goes the same way.
        byte[] multicast = Frame([0x01, 0x00, 0x5e, 0x00, 0x00, 0x01], MacOf(2));
        Assert.Equal(RingStatus.Success, b.Send(multicast));
        Assert.Equal(multicast, a.Receive()!.Value.Bytes);
        Assert.Equal(multicast, c.Receive()!.Value.Bytes);
        b.Kick();
        Assert.Null(b.TryReceive());
    }

    [Fact]
    public void An_interface_learns_its_mac_from_its_first_frame_and_unicast_goes_to_it_alone()
    {
        using SupClient client = _daemon.Connect();
        string name = Unique("learn");
        using IntNetHarness a = Active(client, name);
        using IntNetHarness b = Active(client, name);
        using IntNetHarness c = Active(client, name);

        // Each sends once: the switch learns the three source addresses.
        Learned(a, b, MacOf(1));
        Learned(b, a, MacOf(2));
        Learned(c, a, MacOf(3));
        Assert.Equal(MacOf(1), a.Mac);
        Assert.Equal(0, a.State & 4);
        Drain(b, c);

        byte[] unicast = Frame(MacOf(2), MacOf(1), 60, tag: 9);
        Assert.Equal(RingStatus.Success, a.Send(unicast));
        Assert.Equal(unicast, b.Receive()!.Value.Bytes);
        a.Kick();
        Assert.Null(c.TryReceive());
        Assert.Null(a.TryReceive());
    }

    [Fact]
    public void A_set_mac_is_not_relearned()
    {
        using SupClient client = _daemon.Connect();
        string name = Unique("setmac");
        using IntNetHarness a = Active(client, name);
        using IntNetHarness b = Active(client, name);
        a.SetMac(MacOf(9));
        Assert.Equal(MacOf(9), a.Mac);
        Assert.Equal(4, a.State & 4);
        Learned(b, a, MacOf(2));

        // a sends as 02:..:01; the switch keeps 02:..:09 for it.
        Assert.Equal(RingStatus.Success, a.Send(Frame(Broadcast, MacOf(1))));
        Assert.NotNull(b.Receive());
        Assert.Equal(MacOf(9), a.Mac);
        Assert.Equal(RingStatus.Success, b.Send(Frame(MacOf(1), MacOf(2))));
        b.Kick();
        Assert.Null(a.TryReceive());
        byte[] toNine = Frame(MacOf(9), MacOf(2));
        Assert.Equal(RingStatus.Success, b.Send(toNine));
        Assert.Equal(toNine, a.Receive()!.Value.Bytes);
        Assert.Equal("02:00:00:00:00:09", Port(client, name, 0).GetProperty("mac").GetString());
        Assert.True(Port(client, name, 0).GetProperty("macSet").GetBoolean());
    }

    [Fact]
    public void Unknown_unicast_is_dropped_without_a_trunk_and_counted()
    {
        using SupClient client = _daemon.Connect();
        string name = Unique("unknown");
        using IntNetHarness a = Active(client, name);
        using IntNetHarness b = Active(client, name);
        Learned(a, b, MacOf(1));
        Learned(b, a, MacOf(2));
        long before = Counters(client, name).GetProperty("dropped").GetInt64();
        Assert.Equal(RingStatus.Success, a.Send(Frame(MacOf(77), MacOf(1))));
        a.Kick();
        Assert.Null(b.TryReceive());
        Assert.Equal(before + 1, Counters(client, name).GetProperty("dropped").GetInt64());
    }

    [Fact]
    public void An_interface_without_a_mac_gets_unicast_and_an_inactive_one_gets_nothing()
    {
        using SupClient client = _daemon.Connect();
        string name = Unique("inactive");
        using IntNetHarness a = Active(client, name);
        using IntNetHarness fresh = Active(client, name);
        using IntNetHarness asleep = IntNetHarness.Open(client, name);
        Assert.Equal(RingStatus.Success, a.Send(Frame(MacOf(55), MacOf(1))));
        Assert.Equal(MacOf(55), fresh.Receive()!.Value.Bytes[..6]);
        Assert.Equal(RingStatus.Success, a.Send(Frame(Broadcast, MacOf(1))));
        Assert.NotNull(fresh.Receive());
        a.Kick();
        Assert.Null(asleep.TryReceive());

        // Active again, it receives; inactive once more, it does not.
        asleep.SetActive();
        Assert.Equal(RingStatus.Success, a.Send(Frame(Broadcast, MacOf(1))));
        Assert.NotNull(asleep.Receive());
        asleep.SetActive(false);
        Assert.Equal(RingStatus.Success, a.Send(Frame(Broadcast, MacOf(1))));
        a.Kick();
        Assert.Null(asleep.TryReceive());
    }

    [Fact]
    public void A_promiscuous_interface_sees_unicast_for_others_when_policy_allows()
    {
        using SupClient client = _daemon.Connect();
        string name = Unique("promisc");
        using IntNetHarness a = Active(client, name);
        using IntNetHarness b = Active(client, name);
        using IntNetHarness spy = Active(client, name);
        Learned(a, b, MacOf(1));
        Learned(b, a, MacOf(2));
        Learned(spy, a, MacOf(3));
        Drain(a, b, spy);
        spy.SetPromiscuous(true);
        Assert.Equal(2, spy.State & 2);
        byte[] unicast = Frame(MacOf(2), MacOf(1));
        Assert.Equal(RingStatus.Success, a.Send(unicast));
        Assert.Equal(unicast, b.Receive()!.Value.Bytes);
        Assert.Equal(unicast, spy.Receive()!.Value.Bytes);
        spy.SetPromiscuous(false);
        Assert.Equal(0, spy.State & 2);
        Assert.Equal(RingStatus.Success, a.Send(unicast));
        Assert.NotNull(b.Receive());
        a.Kick();
        Assert.Null(spy.TryReceive());
    }

    [Theory]
    [InlineData(PromiscDenyClients, 0u)]
    [InlineData(0u, InterfacePromiscDeny)]
    public void Promiscuous_mode_denied_by_the_network_or_the_interface_policy_sees_nothing_extra(uint networkFlags, uint spyFlags)
    {
        using SupClient client = _daemon.Connect();
        string name = Unique("denied");
        using IntNetHarness a = Active(client, name, networkFlags);
        using IntNetHarness b = Active(client, name, networkFlags);
        using IntNetHarness spy = Active(client, name, networkFlags | spyFlags);
        Learned(a, b, MacOf(1));
        Learned(b, a, MacOf(2));
        Learned(spy, a, MacOf(3));
        Drain(a, b, spy);
        spy.SetPromiscuous(true);
        Assert.Equal(0, spy.State & 2);
        JsonElement port = Port(client, name, 2);
        Assert.True(port.GetProperty("promiscuousRequested").GetBoolean());
        Assert.False(port.GetProperty("promiscuous").GetBoolean());
        Assert.Equal(RingStatus.Success, a.Send(Frame(MacOf(2), MacOf(1))));
        Assert.NotNull(b.Receive());
        a.Kick();
        Assert.Null(spy.TryReceive());
    }

    [Fact]
    public void Frames_shorter_than_an_ethernet_header_are_dropped_and_counted()
    {
        using SupClient client = _daemon.Connect();
        string name = Unique("short");
        using IntNetHarness a = Active(client, name);
        using IntNetHarness b = Active(client, name);
        Assert.Equal(RingStatus.Success, a.Send(new byte[13]));
        byte[] fourteen = Frame(Broadcast, MacOf(1), payload: 0);
        Assert.Equal(RingStatus.Success, a.Send(fourteen));
        Assert.Equal(fourteen, b.Receive()!.Value.Bytes);
        Assert.Equal(1, Counters(client, name).GetProperty("tooShort").GetInt64());
    }

    [Fact]
    public void A_full_receive_ring_drops_and_counts_and_what_it_holds_is_intact_and_in_order()
    {
        using SupClient client = _daemon.Connect();
        string name = Unique("full");
        using IntNetHarness a = Active(client, name);
        using IntNetHarness slow = Active(client, name, receive: 8192);
        var sent = new List<byte[]>();
        for (int i = 0; i < 40; i++)
        {
            byte[] frame = Frame(Broadcast, MacOf(1), 400 + i, tag: (byte)i);
            sent.Add(frame);
            Assert.Equal(RingStatus.Success, a.Send(frame));
        }

        a.Kick();
        ulong lost = slow.Statistics.Lost;
        Assert.True(lost > 0, "nothing was lost from an 8 KiB ring");
        var got = new List<byte[]>();
        while (slow.TryReceive() is { } frame)
        {
            got.Add(frame.Bytes);
        }

        Assert.Equal(40, got.Count + (int)lost);
        Assert.Equal(sent.Take(got.Count), got);
        Assert.Equal((long)lost, Port(client, name, 1).GetProperty("counters").GetProperty("lost").GetInt64());

        // Read, it takes frames again.
        byte[] after = Frame(Broadcast, MacOf(1), 500, tag: 99);
        Assert.Equal(RingStatus.Success, a.Send(after));
        Assert.Equal(after, slow.Receive()!.Value.Bytes);
    }

    [Fact]
    public unsafe void Garbage_in_a_send_ring_is_counted_bad_and_the_switch_serves_the_others()
    {
        using SupClient client = _daemon.Connect();
        string name = Unique("garbage");
        using IntNetHarness hostile = Active(client, name);
        using IntNetHarness a = Active(client, name);
        using IntNetHarness b = Active(client, name);
        var rng = new Random(11);
        RingLayout send = hostile.Layout.Send;

        // A bad entry header, then an offWriteCom out of bounds, then random bytes everywhere in the
        // send ring's structure and data, each followed by a kick and the doorbell.
        Assert.Equal(RingStatus.Success, hostile.Writer.Allocate(64, FrameType.Frame, out Span<byte> room));
        room.Fill(0xee);
        hostile.Writer.Commit();
        *(uint*)(hostile.Buffer + send.DataOffset) = 0x77_000040;
        hostile.Kick();
        Assert.True(hostile.Statistics.BadFrames >= 1);
        *(uint*)(hostile.Buffer + send.HeaderOffset + 16) = 0xfffffff0;
        hostile.Kick();
        for (int i = 0; i < 200; i++)
        {
            rng.NextBytes(new Span<byte>(hostile.Buffer + send.HeaderOffset, 48));
            rng.NextBytes(new Span<byte>(hostile.Buffer + send.DataOffset + rng.Next(send.DataSize - 256), 256));
            Libc_Signal(hostile);
            if (i % 20 == 0)
            {
                hostile.Kick();
            }

            // The others go on meanwhile.
            byte[] frame = Frame(Broadcast, MacOf(1), 80, tag: (byte)i);
            Assert.Equal(RingStatus.Success, a.Send(frame));
            Assert.Equal(frame, b.Receive()!.Value.Bytes);
        }

        JsonElement port = Port(client, name, 0);
        Assert.True(port.GetProperty("counters").GetProperty("bad").GetInt64() >= 2, port.ToString());
        Assert.True(Counters(client, name).GetProperty("bad").GetInt64() >= 2);
        Assert.False(_daemon.Process.HasExited, _daemon.Output);
    }

    [Fact]
    public async Task Several_deliveries_before_one_wait_coalesce_and_abort_wait_ends_waiting()
    {
        using SupClient client = _daemon.Connect();
        string name = Unique("wait");
        using IntNetHarness a = Active(client, name);
        using IntNetHarness b = Active(client, name);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(RingStatus.Success, a.Send(Frame(Broadcast, MacOf(1), 50, tag: (byte)i)));
        }

        a.Kick();
        for (int i = 0; i < 5; i++)
        {
            Assert.NotNull(b.TryReceive());
        }

        // A waiter that sleeps on the doorbell wakes for one frame sent later.
        var waiter = Task.Run(() => b.Receive(timeoutMs: 20_000));
        Poll.Until(() => b.Sleeping || waiter.IsCompleted, "the waiter to say it sleeps");
        Assert.Equal(RingStatus.Success, a.Send(Frame(Broadcast, MacOf(1), 50, tag: 42)));
        Assert.NotNull(await waiter);

        // AbortWait(no more waits): word 144 says so and the doorbell wakes the waiter.
        var aborted = Task.Run(() => b.Receive(timeoutMs: 20_000));
        Poll.Until(() => b.Sleeping || aborted.IsCompleted, "the waiter to say it sleeps");
        Assert.Equal(SupHost.Protocol.SupStatus.Success, b.Invoke("AbortWait", 1));
        Assert.Null(await aborted);
        Assert.Equal(WaitsAborted, b.Flags & WaitsAborted);
    }

    [Fact]
    public void With_a_test_driver_registered_as_netflt_frames_reach_the_trunk_and_come_back()
    {
        using SupClient client = _daemon.Connect();
        ulong driver = Modules.Loaded(client, "test-trunk");
        client.CallModule(client.GetSymbol(driver, "RegisterAs"), 0, 0, "NetFlt"u8, 0);
        string trunkName = $"eth{Guid.NewGuid().ToString("N")[..6]}";
        string name = Unique("bridged");
        // The driver loops everything it is given back from its host end: with the wire end
        // disabled by policy, what comes back is not sent out again.
        using (IntNetHarness a = IntNetHarness.Open(client, name, flags: TrunkWireDisabled, trunk: 3, trunkName: trunkName))
        {
            Assert.True(a.Created);
            Assert.Equal("inactive", IntNetHarness.Show(client, name).GetProperty("trunk").GetProperty("state").GetString());
            a.SetActive();
            Assert.Contains($"{trunkName} Active", State(client, driver), StringComparison.Ordinal);

            // Broadcast goes out to the host end; the driver loops it back from the host end, and the
            // switch hands it to the interface (the source is the trunk now, not the interface).
            byte[] frame = Frame(Broadcast, MacOf(1), 70, tag: 3);
            Assert.Equal(RingStatus.Success, a.Send(frame));
            Assert.Equal(frame, a.Receive()!.Value.Bytes);
            a.Kick();
            JsonElement trunk = IntNetHarness.Show(client, name).GetProperty("trunk");
            Assert.Equal("netflt", trunk.GetProperty("type").GetString());
            Assert.Equal("02:00:00:00:00:01", trunk.GetProperty("hostMac").GetString());
            Assert.True(trunk.GetProperty("counters").GetProperty("framesOut").GetInt64() >= 1);

            // From the wire end, injected by the driver: unicast to the interface's learned MAC.
            byte[] injected = Encoding.UTF8.GetBytes($"{trunkName}|");
            byte[] wire = Frame(MacOf(1), MacOf(40), 20);
            SupHost.Client.SupReply took = client.CallModule(client.GetSymbol(driver, "Inject"), 0, 0, [.. injected, .. wire], 1);
            Assert.Equal(1, took.Payload[0]);
            (FrameType Type, byte[] Bytes)? fromWire = a.Receive();
            Assert.NotNull(fromWire);
            Assert.Equal(MacOf(40), fromWire.Value.Bytes[6..12]);
        }

        // The network went with its last interface, and the trunk with it.
        Assert.DoesNotContain(name, IntNetHarness.List(client).Keys);
        Poll.Until(() => !State(client, driver).Contains(trunkName, StringComparison.Ordinal), () => $"the driver to forget {trunkName}: {State(client, driver)}");
        client.FreeModule(driver);
    }

    [Fact]
    public async Task The_trunk_is_active_exactly_while_an_interface_is_even_when_two_sessions_race()
    {
        using SupClient client = _daemon.Connect();
        using SupClient other = _daemon.Connect();
        ulong driver = Modules.Loaded(client, "test-trunk");
        client.CallModule(client.GetSymbol(driver, "RegisterAs"), 0, 0, "NetFlt"u8, 0);
        string trunkName = $"eth{Guid.NewGuid().ToString("N")[..6]}";
        string name = Unique("race");
        using (IntNetHarness a = IntNetHarness.Open(client, name, trunk: 3, trunkName: trunkName))
        using (IntNetHarness b = IntNetHarness.Open(other, name, trunk: 3, trunkName: trunkName))
        {
            for (int trial = 0; trial < 200; trial++)
            {
                // One session turns its interface off while the other turns its own on, at once:
                // whatever the order, one interface ends active, so the trunk must be.
                a.SetActive(true);
                using var start = new Barrier(2);
                Task off = Task.Run(() =>
                {
                    start.SignalAndWait();
                    a.SetActive(false);
                });
                Task on = Task.Run(() =>
                {
                    start.SignalAndWait();
                    b.SetActive(true);
                });
                await Task.WhenAll(off, on);
                Assert.Contains($"{trunkName} Active", State(client, driver), StringComparison.Ordinal);

                b.SetActive(false);
                Assert.Contains($"{trunkName} Inactive", State(client, driver), StringComparison.Ordinal);
            }
        }

        Poll.Until(() => !State(client, driver).Contains(trunkName, StringComparison.Ordinal), () => $"the driver to forget {trunkName}: {State(client, driver)}");
        client.FreeModule(driver);
    }

    private static string State(SupClient client, ulong driver) =>
        Encoding.UTF8.GetString(client.CallModule(client.GetSymbol(driver, "State"), 0, 0, [], 4096).Payload);

    private static void Libc_Signal(IntNetHarness harness) => SupHost.Native.Libc.SignalEvent(harness.SendDoorbell);

    private static IntNetHarness Active(SupClient client, string name, uint flags = 0, int receive = 0)
    {
        IntNetHarness opened = IntNetHarness.Open(client, name, flags, receive: receive);
        opened.SetActive();
        return opened;
    }

    /// <summary>The sender sends one broadcast from <paramref name="mac"/>; a witness receives it (so the switch has seen it).</summary>
    private static void Learned(IntNetHarness sender, IntNetHarness witness, byte[] mac)
    {
        Assert.Equal(RingStatus.Success, sender.Send(Frame(Broadcast, mac)));
        Assert.NotNull(witness.Receive());
        sender.Kick();
        Assert.Equal(mac, sender.Mac);
    }

    private static void Drain(params IntNetHarness[] interfaces)
    {
        foreach (IntNetHarness harness in interfaces)
        {
            while (harness.TryReceive() is not null)
            {
            }
        }
    }

    private static JsonElement Counters(SupClient client, string name) => IntNetHarness.Show(client, name).GetProperty("counters");

    /// <summary>The NetShow entry of the <paramref name="index"/>th port opened (ports list in the order they joined).</summary>
    private static JsonElement Port(SupClient client, string name, int index) =>
        IntNetHarness.Show(client, name).GetProperty("ports").EnumerateArray().ElementAt(index);

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";
}
