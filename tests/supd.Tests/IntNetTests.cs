using System.Diagnostics;
using System.Text;
using System.Text.Json;
using SupHost.Client;
using SupHost.Protocol;

namespace Supd.Tests;

/// <summary>
/// Issue 11, items 1 and 2, over the real daemon: the intnet start module's networks and
/// interfaces, opened with raw module calls as docs/intnet.md describes them; joining rules,
/// access, statuses, lifetimes and cleanup.
/// </summary>
public sealed class IntNetTests : IClassFixture<DaemonFixture>
{
    // INTNET_OPEN_FLAGS_* (REFERENCE.md §8), as a client writes them.
    private const uint SharedMacOnWire = 1u << 0;
    private const uint RequireExact = 1u << 1;
    private const uint RequireAsRestrictive = 1u << 2;
    private const uint AccessFixed = 1u << 3;
    private const uint AccessPublic = 1u << 4;
    private const uint AccessRestricted = 1u << 5;
    private const uint PromiscFixed = 1u << 6;
    private const uint PromiscAllowClients = 1u << 7;
    private const uint PromiscDenyClients = 1u << 8;

    private readonly Daemon _daemon;

    public IntNetTests(DaemonFixture fixture) => _daemon = fixture.Daemon;

    [Fact]
    public void The_first_open_creates_the_network_others_join_and_the_last_close_destroys_it()
    {
        using SupClient one = _daemon.Connect();
        using SupClient two = _daemon.Connect();
        string name = Unique("life");
        using IntNetHarness first = IntNetHarness.Open(one, name);
        Assert.True(first.Created);

        // The buffer is the documented one: DrvIntNet's ring sizes, a new interface inactive without a MAC.
        Assert.Equal(325_632, first.Layout.Receive.DataSize);
        Assert.Equal(196_608, first.Layout.Send.DataSize);
        Assert.Equal(522_560, first.Size);
        Assert.Equal(0, first.State);
        Assert.Equal(IntNetHarness.Broadcast, first.Mac);
        Assert.Equal(0, first.Flags);

        using IntNetHarness second = IntNetHarness.Open(two, name, receive: 4000, send: 100);
        Assert.False(second.Created);
        Assert.Equal(4000, second.Layout.Receive.DataSize);
        Assert.Equal(104, second.Layout.Send.DataSize);

        // Both are objects of the sessions that opened them; the buffer is the session's allocation.
        Assert.Contains(one.ListObjects(), o => o.Handle == $"0x{first.Handle:x16}" && o.Type == "intnet-interface");
        Assert.Contains(two.ListMemory(), m => m.Handle == $"0x{second.Allocation:x16}");
        JsonElement network = IntNetHarness.List(one)[name];
        Assert.Equal(2, network.GetProperty("portCount").GetInt32());
        Assert.Equal("none", network.GetProperty("trunkType").GetString());
        Assert.Equal("restricted", network.GetProperty("policy").GetProperty("access").GetString());

        first.Close();
        Assert.Equal(1, IntNetHarness.List(one)[name].GetProperty("portCount").GetInt32());
        second.Close();
        Assert.DoesNotContain(name, IntNetHarness.List(one).Keys);

        // A network of the same name starts afresh.
        using IntNetHarness again = IntNetHarness.Open(one, name);
        Assert.True(again.Created);
    }

    [Fact]
    public void Malformed_requests_get_the_documented_statuses_with_a_message()
    {
        using SupClient client = _daemon.Connect();
        string name = Unique("bad");
        Assert.Equal(-2, IntNetHarness.OpenStatus(client, [.. IntNetHarness.Request(name), 0]).Status);
        Assert.Equal(-2, IntNetHarness.OpenStatus(client, IntNetHarness.Request(name, version: 2)).Status);
        Assert.Equal(-2, IntNetHarness.OpenStatus(client, IntNetHarness.Request(name, flags: 1u << 27)).Status);
        (int status, string message) = IntNetHarness.OpenStatus(client, IntNetHarness.Request(name, flags: PromiscAllowClients | PromiscDenyClients));
        Assert.Equal(-2, status);
        Assert.Contains("both", message, StringComparison.Ordinal);
        Assert.Equal(-2, IntNetHarness.OpenStatus(client, IntNetHarness.Request(name, trunk: 0)).Status);
        Assert.Equal(-2, IntNetHarness.OpenStatus(client, IntNetHarness.Request(name, trunk: 6)).Status);
        Assert.Equal(-2, IntNetHarness.OpenStatus(client, IntNetHarness.Request(name, trunk: 1, trunkName: "eth0")).Status);
        Assert.Equal(-2, IntNetHarness.OpenStatus(client, IntNetHarness.Request(name, trunk: 3)).Status);
        Assert.Equal(-2, IntNetHarness.OpenStatus(client, IntNetHarness.Request(name, receive: (16 << 20) + 1)).Status);
        Assert.Equal(-2, IntNetHarness.OpenStatus(client, IntNetHarness.Request(name, reserved: 1u << 31)).Status);
        (status, message) = IntNetHarness.OpenStatus(client, IntNetHarness.Request(""));
        Assert.Equal(-22, status);
        Assert.Contains("network name is 0 bytes; 1 to 127 are allowed", message, StringComparison.Ordinal);
        Assert.Equal(-22, IntNetHarness.OpenStatus(client, IntNetHarness.Request(new string('n', 128))).Status);
        Assert.Equal(0, IntNetHarness.OpenStatus(client, IntNetHarness.Request(new string('n', 127))).Status);
        byte[] invalidUtf8 = IntNetHarness.Request("x");
        invalidUtf8[25] = 0xff;
        Assert.Equal(-22, IntNetHarness.OpenStatus(client, invalidUtf8).Status);

        // None of these left a network behind.
        Assert.DoesNotContain(IntNetHarness.List(client).Keys, k => k.StartsWith(name, StringComparison.Ordinal) || k.StartsWith("nnn", StringComparison.Ordinal));
    }

    [Fact]
    public void Another_sessions_interface_handle_is_refused_and_so_is_a_made_up_one()
    {
        using SupClient owner = _daemon.Connect();
        using SupClient other = _daemon.Connect();
        using IntNetHarness opened = IntNetHarness.Open(owner, Unique("theirs"));
        foreach (string entry in new[] { "Close", "SetActive", "SetPromiscuous", "Send", "AbortWait" })
        {
            SupException refused = Assert.Throws<SupException>(() => IntNetHarness.Call(other, entry, 0, opened.Handle, []));
            Assert.Equal(SupStatus.InvalidHandle, refused.Status);
            Assert.True(refused.IsModuleStatus);
        }

        Assert.Equal(SupStatus.InvalidHandle, Assert.Throws<SupException>(() => IntNetHarness.Call(owner, "SetActive", 1, opened.Handle ^ 1, [])).Status);

        // The owner's interface still works.
        opened.SetActive();
        Assert.Equal(1, opened.State & 1);
    }

    [Fact]
    public void Joining_needs_the_same_trunk_unless_the_open_says_whatever()
    {
        using SupClient client = _daemon.Connect();
        string name = Unique("trunk");
        using IntNetHarness first = IntNetHarness.Open(client, name, trunk: 1);
        (int status, string message) = IntNetHarness.OpenStatus(client, IntNetHarness.Request(name, trunk: 3, trunkName: "eth0"));
        Assert.Equal(-58, status);
        Assert.Contains("NetFlt 'eth0'", message, StringComparison.Ordinal);
        Assert.Equal(0, IntNetHarness.OpenStatus(client, IntNetHarness.Request(name, trunk: 2)).Status);
        Assert.Equal(0, IntNetHarness.OpenStatus(client, IntNetHarness.Request(name, trunk: 5)).Status);
        Assert.Equal(0, IntNetHarness.OpenStatus(client, IntNetHarness.Request(name, trunk: 1)).Status);
    }

    [Fact]
    public void Joining_checks_the_shared_mac_exactness_and_as_restrictive_rules()
    {
        using SupClient client = _daemon.Connect();

        // The shared-MAC bit must agree either way.
        string shared = Unique("shared");
        using (IntNetHarness.Open(client, shared, flags: SharedMacOnWire))
        {
            Assert.Equal(-59, IntNetHarness.OpenStatus(client, IntNetHarness.Request(shared)).Status);
            Assert.Equal(0, IntNetHarness.OpenStatus(client, IntNetHarness.Request(shared, flags: SharedMacOnWire)).Status);
        }

        // REQUIRE_EXACT: every pair given must be the network's (access defaults to restricted here).
        string exact = Unique("exact");
        using (IntNetHarness.Open(client, exact, flags: PromiscDenyClients))
        {
            (int status, string message) = IntNetHarness.OpenStatus(client, IntNetHarness.Request(exact, flags: RequireExact | PromiscAllowClients));
            Assert.Equal(-59, status);
            Assert.Contains("requires exactly", message, StringComparison.Ordinal);
            Assert.Equal(0, IntNetHarness.OpenStatus(client, IntNetHarness.Request(exact, flags: RequireExact | PromiscDenyClients | AccessRestricted)).Status);
        }

        // REQUIRE_AS_RESTRICTIVE_POLICIES: a restrictive half against a relaxed, fixed pair is refused;
        // the same against a relaxed pair that is not fixed adapts the network.
        string fixedNet = Unique("fixed");
        using (IntNetHarness.Open(client, fixedNet, flags: PromiscFixed | PromiscAllowClients))
        {
            Assert.Equal(-59, IntNetHarness.OpenStatus(client, IntNetHarness.Request(fixedNet, flags: RequireAsRestrictive | PromiscDenyClients)).Status);
        }

        string loose = Unique("loose");
        using (IntNetHarness.Open(client, loose, flags: PromiscAllowClients))
        {
            Assert.Equal("allow", PromiscuousClients(client, loose));
            using IntNetHarness strict = IntNetHarness.Open(client, IntNetHarness.Request(loose, flags: RequireAsRestrictive | PromiscDenyClients));
            Assert.Equal("deny", PromiscuousClients(client, loose));

            // Sticky: a later relaxed join does not loosen it again.
            using IntNetHarness relaxed = IntNetHarness.Open(client, loose, flags: PromiscAllowClients);
            Assert.Equal("deny", PromiscuousClients(client, loose));
        }
    }

    [Fact]
    public void A_restricted_network_refuses_a_second_uid_and_a_public_one_lets_it_join()
    {
        using var user = new TestUser();
        user.AddToGroup(SocketGroup());
        using SupClient owner = _daemon.Connect();
        string restricted = Unique("private");
        string open = Unique("public");
        using IntNetHarness mine = IntNetHarness.Open(owner, restricted, flags: AccessRestricted);
        using IntNetHarness theirs = IntNetHarness.Open(owner, open, flags: AccessPublic);

        (int code, string stdout, string stderr) = user.Run(Tool.PeerCommand("intnet-open", _daemon.RunDir, restricted));
        Assert.True(code == 3, $"exit {code}: {stdout} {stderr}");
        Assert.Equal("STATUS PermissionDenied", stdout.Trim());
        Assert.Contains("restricted", stderr, StringComparison.Ordinal);

        (code, stdout, stderr) = user.Run(Tool.PeerCommand("intnet-open", _daemon.RunDir, open));
        Assert.True(code == 0, $"exit {code}: {stdout} {stderr}");
        Assert.Equal("OK 0", stdout.Trim());

        // The same user as the owner joins its restricted network.
        string[] asRoot = Tool.PeerCommand("intnet-open", _daemon.RunDir, restricted);
        Assert.Equal("OK 0", Tool.Run(asRoot[0], asRoot[1..]).Stdout.Trim());
    }

    [Fact]
    public void A_netflt_network_without_its_driver_is_not_made()
    {
        using SupClient client = _daemon.Connect();
        string name = Unique("flt");
        (int status, string message) = IntNetHarness.OpenStatus(client, IntNetHarness.Request(name, trunk: 3, trunkName: "eth0"));
        Assert.Equal(-56, status);
        Assert.Contains("'NetFlt'", message, StringComparison.Ordinal);
        (status, message) = IntNetHarness.OpenStatus(client, IntNetHarness.Request(name, trunk: 4, trunkName: "vboxnet0"));
        Assert.Equal(-56, status);
        Assert.Contains("'NetAdp'", message, StringComparison.Ordinal);
        Assert.DoesNotContain(name, IntNetHarness.List(client).Keys);
    }

    [Fact]
    public void A_persistent_network_outlives_its_creator_until_it_is_deleted()
    {
        string name = Unique("kept");
        using (SupClient creator = _daemon.Connect())
        {
            SupReply reply = IntNetHarness.Call(creator, "NetCreate", 0, 0, IntNetHarness.Request(name, reserved: 1u << 31), 40);
            Assert.Equal(1, reply.Payload[8]);
            Assert.Equal(SupStatus.AlreadyExists, Assert.Throws<SupException>(() => IntNetHarness.Call(creator, "NetCreate", 0, 0, IntNetHarness.Request(name, reserved: 1u << 31), 40)).Status);
        }

        using SupClient client = _daemon.Connect();
        Assert.True(IntNetHarness.List(client)[name].GetProperty("persistent").GetBoolean());
        using (IntNetHarness joined = IntNetHarness.Open(client, name))
        {
            Assert.False(joined.Created);
        }

        Assert.Contains(name, IntNetHarness.List(client).Keys);

        // Deleting closes the interfaces it still has: word 144 says so, and the handle is dead.
        using IntNetHarness open = IntNetHarness.Open(client, name);
        IntNetHarness.Call(client, "NetDelete", 0, 0, Encoding.UTF8.GetBytes(name));
        Assert.DoesNotContain(name, IntNetHarness.List(client).Keys);
        Assert.Equal(IntNetHarness.Closed, open.Flags & IntNetHarness.Closed);
        Assert.Null(open.Receive(timeoutMs: 5000));
        Assert.Equal(-21, (int)Assert.Throws<SupException>(() => open.SetActive()).Status);
        Assert.Equal(SupStatus.NotFound, Assert.Throws<SupException>(() => IntNetHarness.Call(client, "NetDelete", 0, 0, Encoding.UTF8.GetBytes(name))).Status);
    }

    [Fact]
    public void A_killed_clients_interface_goes_and_its_network_with_it()
    {
        using SupClient probe = _daemon.Connect();
        string name = Unique("killed");
        using IntNetHarness stays = IntNetHarness.Open(probe, name);
        (Process peer, uint session) = Tool.StartHoldingPeer("intnet-hold", _daemon.RunDir, name);
        using (peer)
        {
            Assert.Equal(2, IntNetHarness.List(probe)[name].GetProperty("portCount").GetInt32());
            Assert.Contains(IntNetHarness.Show(probe, name).GetProperty("ports").EnumerateArray(), p => p.GetProperty("sessionId").GetUInt32() == session);
            peer.Kill();
            peer.WaitForExit();
        }

        Poll.Until(() => IntNetHarness.List(probe)[name].GetProperty("portCount").GetInt32() == 1, "the killed client's interface to leave the network");
        stays.Close();
        Assert.DoesNotContain(name, IntNetHarness.List(probe).Keys);

        // The last port killed takes the network.
        string alone = Unique("alone");
        (Process last, _) = Tool.StartHoldingPeer("intnet-hold", _daemon.RunDir, alone);
        using (last)
        {
            Assert.Contains(alone, IntNetHarness.List(probe).Keys);
            last.Kill();
            last.WaitForExit();
        }

        Poll.Until(() => !IntNetHarness.List(probe).ContainsKey(alone), "the network of a killed last client to go");
    }

    [Fact]
    public void A_thousand_open_close_cycles_leave_the_daemon_at_its_baseline()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient probe = daemon.Connect();
        using (SupClient warm = daemon.Connect())
        {
            using IntNetHarness first = IntNetHarness.Open(warm, "warm-up");
        }

        DaemonBaseline before = DaemonBaseline.Measure(daemon, probe);
        using (SupClient client = daemon.Connect())
        {
            using IntNetHarness peer = IntNetHarness.Open(client, "cycles", receive: 4096, send: 4096);
            for (int i = 0; i < 1000; i++)
            {
                using IntNetHarness cycle = IntNetHarness.Open(client, "cycles", receive: 4096, send: 4096);
                Assert.False(cycle.Created);
                if (i % 100 == 0)
                {
                    cycle.SetActive();
                    peer.SetActive();
                    Assert.Equal(SupHost.IntNet.Format.RingStatus.Success, peer.Send(IntNetHarness.Frame(IntNetHarness.Broadcast, IntNetHarness.MacOf(1))));
                    Assert.NotNull(cycle.Receive());
                }

                cycle.Close();
            }

            Assert.Equal(1, IntNetHarness.List(client)["cycles"].GetProperty("portCount").GetInt32());
        }

        before.AssertRestored(daemon, probe);
        Assert.False(daemon.Process.HasExited, daemon.Output);
    }

    private static string PromiscuousClients(SupClient client, string network) =>
        IntNetHarness.List(client)[network].GetProperty("policy").GetProperty("promiscuousClients").GetString()!;

    private string SocketGroup()
    {
        var socket = new FileInfo(Path.Combine(_daemon.RunDir, ProtocolConstants.FullSocketName));
        string gid = Tool.Run("stat", "-c", "%G", socket.FullName).Stdout.Trim();
        return gid;
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";
}
