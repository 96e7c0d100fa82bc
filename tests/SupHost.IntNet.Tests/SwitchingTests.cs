using SupHost.Abi;

namespace SupHost.IntNet.Tests;

/// <summary>Each of the original's switching rules (REFERENCE.md §8) on its own, over hand-made port snapshots.</summary>
public sealed class SwitchingTests
{
    private const ulong A = 0x02_00_00_00_00_0a;
    private const ulong B = 0x02_00_00_00_00_0b;
    private const ulong C = 0x02_00_00_00_00_0c;
    private const ulong Host = 0x02_00_00_00_00_99;
    private const ulong Broadcast = 0xff_ff_ff_ff_ff_ff;
    private const ulong Multicast = 0x01_00_5e_00_00_01;
    private const ulong Unknown = 0x02_00_00_00_00_77;

    private static PortView Port(ulong mac, bool active = true, bool promiscuous = false, bool seeTrunk = true) => new(active, mac, promiscuous, seeTrunk);

    private static (List<int> Ports, TrunkDirection Ends) Decide(PortView[] ports, int source, ulong destination, TrunkView? trunk = null, TrunkDirection sourceEnd = TrunkDirection.None)
    {
        var into = new List<int>();
        TrunkDirection ends = Switching.Decide(ports, source, sourceEnd, trunk ?? TrunkView.None, destination, into);
        return (into, ends);
    }

    [Theory]
    [InlineData(Broadcast)]
    [InlineData(Multicast)]
    public void Broadcast_and_multicast_reach_every_active_port_but_the_sender(ulong destination)
    {
        PortView[] ports = [Port(A), Port(B), Port(C), Port(Mac.Dummy)];
        Assert.Equal([1, 2, 3], Decide(ports, 0, destination).Ports);
    }

    [Fact]
    public void Inactive_ports_receive_nothing()
    {
        PortView[] ports = [Port(A), Port(B, active: false), Port(C, active: false, promiscuous: true)];
        Assert.Empty(Decide(ports, 0, Broadcast).Ports);
        Assert.Empty(Decide(ports, 0, B).Ports);
    }

    [Fact]
    public void Unicast_goes_to_the_exact_match_only()
    {
        PortView[] ports = [Port(A), Port(B), Port(C)];
        Assert.Equal([1], Decide(ports, 0, B).Ports);
    }

    [Fact]
    public void Unicast_also_reaches_ports_that_have_no_mac_yet()
    {
        PortView[] ports = [Port(A), Port(B), Port(Mac.Dummy)];
        Assert.Equal([1, 2], Decide(ports, 0, B).Ports);
        Assert.Equal([2], Decide(ports, 0, Unknown).Ports);
    }

    [Fact]
    public void Unknown_unicast_without_a_trunk_is_dropped_not_flooded()
    {
        PortView[] ports = [Port(A), Port(B), Port(C)];
        (List<int> to, TrunkDirection ends) = Decide(ports, 0, Unknown);
        Assert.Empty(to);
        Assert.Equal(TrunkDirection.None, ends);
    }

    [Fact]
    public void No_echo_to_the_sender_even_when_it_matches_or_is_promiscuous()
    {
        PortView[] ports = [Port(A, promiscuous: true), Port(B)];
        Assert.Empty(Decide(ports, 0, A).Ports);
        Assert.Equal([1], Decide(ports, 0, Broadcast).Ports);
    }

    [Fact]
    public void A_promiscuous_port_sees_unicast_between_others_on_the_network()
    {
        PortView[] ports = [Port(A), Port(B), Port(C, promiscuous: true)];
        Assert.Equal([1, 2], Decide(ports, 0, B).Ports);
        Assert.Equal([2], Decide(ports, 0, Unknown).Ports);
    }

    [Fact]
    public void A_promiscuous_port_sees_trunk_unicast_for_others_only_with_see_trunk()
    {
        var trunk = new TrunkView(HostEnabled: true, WireEnabled: true, Host, false, false);
        PortView[] ports = [Port(A), Port(B, promiscuous: true, seeTrunk: true), Port(C, promiscuous: true, seeTrunk: false)];
        Assert.Equal([0, 1], Decide(ports, -1, A, trunk, TrunkDirection.Wire).Ports);
    }

    [Fact]
    public void Unicast_without_an_internal_recipient_goes_to_the_wire_and_to_the_host_only_when_it_is_the_hosts()
    {
        var trunk = new TrunkView(HostEnabled: true, WireEnabled: true, Host, false, false);
        PortView[] ports = [Port(A), Port(B)];
        Assert.Equal(TrunkDirection.Wire, Decide(ports, 0, Unknown, trunk).Ends);
        Assert.Equal(TrunkDirection.Host | TrunkDirection.Wire, Decide(ports, 0, Host, trunk).Ends);

        // An internal recipient keeps it off the wire, unless the wire is promiscuous.
        Assert.Equal(TrunkDirection.None, Decide(ports, 0, B, trunk).Ends);
        Assert.Equal(TrunkDirection.Wire, Decide(ports, 0, B, trunk with { WirePromiscuous = true }).Ends);
        Assert.Equal(TrunkDirection.Host, Decide(ports, 0, B, trunk with { HostPromiscuous = true }).Ends);
    }

    [Fact]
    public void The_host_end_without_a_mac_yet_gets_unicast()
    {
        var trunk = new TrunkView(HostEnabled: true, WireEnabled: false, Mac.Dummy, false, false);
        Assert.Equal(TrunkDirection.Host, Decide([Port(A), Port(B)], 0, Unknown, trunk).Ends);
    }

    [Fact]
    public void Broadcast_reaches_both_enabled_trunk_ends_minus_the_one_it_came_from()
    {
        var trunk = new TrunkView(HostEnabled: true, WireEnabled: true, Host, false, false);
        PortView[] ports = [Port(A), Port(B)];
        Assert.Equal(TrunkDirection.Host | TrunkDirection.Wire, Decide(ports, 0, Broadcast, trunk).Ends);
        (List<int> to, TrunkDirection ends) = Decide(ports, -1, Broadcast, trunk, TrunkDirection.Wire);
        Assert.Equal([0, 1], to);
        Assert.Equal(TrunkDirection.Host, ends);
        Assert.Equal(TrunkDirection.Wire, Decide(ports, 0, Broadcast, trunk with { HostEnabled = false }).Ends);
    }

    [Fact]
    public void Unicast_from_the_wire_to_an_unknown_address_does_not_go_back_to_the_wire()
    {
        var trunk = new TrunkView(HostEnabled: true, WireEnabled: true, Host, false, false);
        Assert.Equal(TrunkDirection.None, Decide([Port(A)], -1, Unknown, trunk, TrunkDirection.Wire).Ends);
    }
}
