using System.Text;
using System.Text.Json;
using SupHost.Client;
using SupHost.Protocol;

namespace Supd.Tests;

/// <summary>
/// Issue 12, NetFlt, over the real daemon: a veth end in one namespace bridged into a network as its
/// trunk (supctl net trunk) lets a namespace behind a NetAdp adapter reach the veth's peer in a third
/// namespace, promiscuously (restored on detach and at SIGTERM); with the trunk wire disabled by
/// policy nothing crosses. Namespaces are made and removed by name; traffic stays inside them.
/// </summary>
public sealed class NetFltTests : IDisposable
{
    private readonly List<string> _namespaces = [];
    private readonly Daemon _daemon = Daemon.Start();

    [Fact]
    public void A_netflt_trunk_on_a_veth_joins_its_peer_to_a_network_and_detach_and_sigterm_restore_promiscuity()
    {
        (string near, string veth, string far, string peer) = VethPair("10.86.0.1/24");
        string network = "netflt-" + Tool.Hex(3);
        (string nsAdapter, string adapter) = Adapter(network, "10.86.0.2/24");
        Assert.Equal(0, Promiscuity(near, veth));

        (int code, string stdout, string stderr) = Supctl("net", "trunk", network, "--host-interface", veth, "--netns", near);
        Assert.True(code == 0, stderr);
        Assert.Contains($"trunk netflt '{near}/{veth}'", stdout, StringComparison.Ordinal);
        Assert.Equal(1, Promiscuity(near, veth));
        Ping(nsAdapter, "10.86.0.1");
        Ping(far, "10.86.0.2");
        JsonElement trunk = Show(network).GetProperty("trunk");
        Assert.Equal(("netflt", $"{near}/{veth}", "active"), (trunk.GetProperty("type").GetString(), trunk.GetProperty("name").GetString(), trunk.GetProperty("state").GetString()));
        Assert.Equal(6, trunk.GetProperty("gsoWire").GetInt32());
        _ = peer;
        _ = adapter;

        // A second network cannot take the same interface, nor this one a second trunk.
        string other = "netflt-" + Tool.Hex(3);
        Assert.Equal(0, Supctl("net", "create", other).ExitCode);
        (code, _, stderr) = Supctl("net", "trunk", other, "--host-interface", veth, "--netns", near);
        Assert.NotEqual(0, code);
        Assert.Contains("TrunkBusy", stderr, StringComparison.Ordinal);
        (code, _, stderr) = Supctl("net", "trunk", network, "--host-interface", veth, "--netns", near);
        Assert.Contains("TrunkBusy", stderr, StringComparison.Ordinal);
        (code, _, stderr) = Supctl("net", "trunk", other, "--host-interface", "nosuch0", "--netns", near);
        Assert.NotEqual(0, code);
        Assert.Contains("TrunkNotFound", stderr, StringComparison.Ordinal);

        // Detached: promiscuity restored, nothing crosses, the network has no trunk.
        Assert.Equal(0, Supctl("net", "trunk", network, "--detach").ExitCode);
        Assert.Equal(0, Promiscuity(near, veth));
        Assert.Equal(JsonValueKind.Null, Show(network).GetProperty("trunk").ValueKind);
        Assert.NotEqual(0, Tool.Run("ip", "netns", "exec", nsAdapter, "ping", "-c", "2", "-W", "1", "-i", "0.3", "10.86.0.1").ExitCode);

        // Again, and the daemon stops: its socket goes, promiscuity with it.
        Assert.Equal(0, Supctl("net", "trunk", network, "--host-interface", veth, "--netns", near).ExitCode);
        Ping(nsAdapter, "10.86.0.1");
        Assert.Equal(1, Promiscuity(near, veth));
        Assert.Equal(0, _daemon.Terminate());
        Assert.Equal(0, Promiscuity(near, veth));
    }

    [Fact]
    public void With_the_trunk_wire_disabled_nothing_crosses_to_the_wire()
    {
        (string near, string veth, _, _) = VethPair("10.87.0.1/24");
        string network = "netflt-" + Tool.Hex(3);
        Assert.Equal(0, Supctl("net", "create", network, "--trunk-wire", "disabled").ExitCode);
        (string nsAdapter, _) = Adapter(network, "10.87.0.2/24");
        Assert.Equal(0, Supctl("net", "trunk", network, "--host-interface", veth, "--netns", near).ExitCode);

        Assert.NotEqual(0, Tool.Run("ip", "netns", "exec", nsAdapter, "ping", "-c", "3", "-W", "1", "-i", "0.3", "10.87.0.1").ExitCode);
        using SupClient client = _daemon.Connect();
        ModuleOpenReply netflt = client.OpenModule("netflt");
        SupReply reply = client.CallModule(client.GetSymbol(netflt.Handle, "List"), 0, 0, [], 64 * 1024);
        JsonElement filter = Assert.Single(JsonDocument.Parse(Encoding.UTF8.GetString(reply.Payload)).RootElement.GetProperty("trunks").EnumerateArray());
        Assert.Equal($"{near}/{veth}", filter.GetProperty("name").GetString());
        Assert.Equal(0, filter.GetProperty("framesOut").GetInt64());
    }

    [Fact]
    public void The_hosts_own_frames_out_of_a_bridged_interface_are_not_taken_for_the_wires()
    {
        (string near, string veth, string far, string peer) = VethPair("10.88.0.1/24");
        string network = "netflt-" + Tool.Hex(3);
        Assert.Equal(0, Supctl("net", "create", network).ExitCode);
        Assert.Equal(0, Supctl("net", "trunk", network, "--host-interface", veth, "--netns", near).ExitCode);
        string nearMac = Mac(near, veth);
        string farMac = Mac(far, peer);

        // The near namespace's own stack talks to the far end through the bridged veth: its
        // ARP and ICMP go out of the interface (the host's outgoing frames), the far end's answers
        // come in from the wire.
        // (The trunk is active while the network has an active interface.)
        using SupClient client = _daemon.Connect();
        using IntNetInterface nic = client.OpenIntNetInterface(new IntNetOpenOptions { Network = network, TrunkType = SupHost.IntNet.Format.IntNetTrunkType.WhateverNone });
        nic.SetActive(true);
        using IntNetCapture capture = client.StartIntNetCapture(network);
        Assert.Equal(0, Tool.Run("ip", "-n", near, "addr", "add", "10.88.0.9/24", "dev", veth).ExitCode);
        Ping(near, "10.88.0.1");

        var wireSources = new HashSet<string>(StringComparer.Ordinal);
        long deadline = Environment.TickCount64 + 10_000;
        while (!wireSources.Contains(farMac) && Environment.TickCount64 < deadline)
        {
            capture.Wait(500);
            while (capture.TryRead(out IntNetCaptureRecord record))
            {
                if (record.SourcePort == IntNetCaptureRecord.TrunkWirePort && record.Data.Length >= 12)
                {
                    wireSources.Add(Convert.ToHexString(record.Data[6..12]).ToLowerInvariant());
                }
            }
        }

        Assert.Contains(farMac, wireSources);
        Assert.DoesNotContain(nearMac, wireSources);
    }

    private static string Mac(string ns, string device)
    {
        (_, string stdout, _) = Tool.Run("ip", "-n", ns, "-j", "link", "show", device);
        return JsonDocument.Parse(stdout).RootElement[0].GetProperty("address").GetString()!.Replace(":", string.Empty, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _daemon.Dispose();
        foreach (string ns in _namespaces)
        {
            Tool.Run("ip", "netns", "del", ns);
        }
    }

    /// <summary>A veth pair: its near end (up, no address) in one namespace, its far end with <paramref name="farAddress"/> in another.</summary>
    private (string Near, string Veth, string Far, string Peer) VethPair(string farAddress)
    {
        string near = Namespace();
        string far = Namespace();
        string veth = "sfv" + Tool.Hex(3);
        string peer = "sfp" + Tool.Hex(3);
        Assert.Equal(0, Tool.Run("ip", "link", "add", veth, "netns", near, "type", "veth", "peer", "name", peer, "netns", far).ExitCode);
        Assert.Equal(0, Tool.Run("ip", "-n", near, "link", "set", veth, "up").ExitCode);
        Assert.Equal(0, Tool.Run("ip", "-n", far, "addr", "add", farAddress, "dev", peer).ExitCode);
        Assert.Equal(0, Tool.Run("ip", "-n", far, "link", "set", peer, "up").ExitCode);
        return (near, veth, far, peer);
    }

    private (string Namespace, string Adapter) Adapter(string network, string address)
    {
        string ns = Namespace();
        string name = "sfa" + Tool.Hex(3);
        (int code, _, string stderr) = Supctl("netadp", "add", name, "--netns", ns, "--network", network);
        Assert.True(code == 0, stderr);
        Assert.Equal(0, Tool.Run("ip", "-n", ns, "addr", "add", address, "dev", name).ExitCode);
        return (ns, name);
    }

    private JsonElement Show(string network)
    {
        (int code, string stdout, string stderr) = Supctl("net", "show", network, "--json");
        Assert.True(code == 0, stderr);
        return JsonDocument.Parse(stdout).RootElement.Clone();
    }

    private static int Promiscuity(string ns, string device)
    {
        (_, string stdout, _) = Tool.Run("ip", "-n", ns, "-d", "-j", "link", "show", device);
        return JsonDocument.Parse(stdout).RootElement[0].GetProperty("promiscuity").GetInt32();
    }

    private static void Ping(string ns, string address)
    {
        (int code, string stdout, string stderr) = Tool.Run("ip", "netns", "exec", ns, "ping", "-c", "3", "-W", "2", "-i", "0.2", address);
        Assert.True(code == 0, $"ping {address} from {ns}: {stdout}{stderr}");
    }

    private (int ExitCode, string Stdout, string Stderr) Supctl(params string[] args) => Tool.Supctl([.. args, "--run-dir", _daemon.RunDir]);

    private string Namespace()
    {
        string name = "supnf-" + Tool.Hex(4);
        Assert.Equal(0, Tool.Run("ip", "netns", "add", name).ExitCode);
        _namespaces.Add(name);
        return name;
    }

}
