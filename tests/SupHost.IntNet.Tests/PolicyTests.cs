namespace SupHost.IntNet.Tests;

/// <summary>The open flags' rules, each as REFERENCE.md §8 states it, with the original's bit values written out.</summary>
public sealed class PolicyTests
{
    // The original's INTNET_OPEN_FLAGS_* bits, spelled out independently of the module's enum.
    private const uint SharedMac = 1u << 0;
    private const uint RequireExact = 1u << 1;
    private const uint RequireAsRestrictive = 1u << 2;
    private const uint AccessFixed = 1u << 3;
    private const uint AccessPublic = 1u << 4;
    private const uint AccessRestricted = 1u << 5;
    private const uint PromiscFixed = 1u << 6;
    private const uint AllowClients = 1u << 7;
    private const uint DenyClients = 1u << 8;
    private const uint AllowTrunkHost = 1u << 9;
    private const uint AllowTrunkWire = 1u << 11;
    private const uint IfPromiscAllow = 1u << 14;
    private const uint IfPromiscDeny = 1u << 15;
    private const uint IfSeeTrunk = 1u << 16;
    private const uint TrunkHostEnabled = 1u << 19;
    private const uint TrunkHostChaste = 1u << 21;
    private const uint TrunkWireEnabled = 1u << 23;
    private const uint TrunkWireChaste = 1u << 25;
    private const uint TrunkWirePromisc = 1u << 26;

    [Theory]
    [InlineData(1u << 27)]
    [InlineData(1u << 30)]
    [InlineData(TrunkWirePromisc)] // outside the original's mask 0x83ffffff, as there
    [InlineData(AccessPublic | AccessRestricted)]
    [InlineData(AllowClients | DenyClients)]
    [InlineData(IfPromiscAllow | IfPromiscDeny)]
    public void Bits_outside_the_mask_and_both_halves_of_a_pair_are_refused(uint flags) =>
        Assert.NotNull(Policy.Validate((OpenFlags)flags));

    [Theory]
    [InlineData(0u)]
    [InlineData(1u << 31)]
    [InlineData(SharedMac | AccessRestricted | DenyClients | IfPromiscDeny)]
    public void Valid_flags_pass(uint flags) => Assert.Null(Policy.Validate((OpenFlags)flags));

    [Fact]
    public void A_new_network_gets_the_originals_defaults_with_access_by_trunk_type()
    {
        const uint common = AllowClients | AllowTrunkHost | AllowTrunkWire | TrunkHostEnabled | TrunkHostChaste | TrunkWireEnabled | TrunkWireChaste;
        Assert.Equal(common | AccessRestricted, (uint)Policy.ForNewNetwork(OpenFlags.None, TrunkType.None));
        Assert.Equal(common | AccessRestricted, (uint)Policy.ForNewNetwork(OpenFlags.None, TrunkType.WhateverNone));
        Assert.Equal(common | AccessRestricted, (uint)Policy.ForNewNetwork(OpenFlags.None, TrunkType.SrvNat));
        Assert.Equal(common | AccessPublic, (uint)Policy.ForNewNetwork(OpenFlags.None, TrunkType.NetFlt));
        Assert.Equal(common | AccessPublic, (uint)Policy.ForNewNetwork(OpenFlags.None, TrunkType.NetAdp));

        // What the open gives stays; the interface's own pairs are not the network's.
        uint given = (uint)Policy.ForNewNetwork((OpenFlags)(AccessPublic | DenyClients | IfPromiscDeny), TrunkType.None);
        Assert.Equal(AccessPublic, given & (AccessPublic | AccessRestricted));
        Assert.Equal(DenyClients, given & (AllowClients | DenyClients));
        Assert.Equal(0u, given & (IfPromiscAllow | IfPromiscDeny));
    }

    [Fact]
    public void An_interface_defaults_to_promiscuous_allowed_and_seeing_the_trunk()
    {
        Assert.Equal(IfPromiscAllow | IfSeeTrunk, (uint)Policy.ForInterface(OpenFlags.None));
        Assert.Equal(IfPromiscDeny | IfSeeTrunk, (uint)Policy.ForInterface((OpenFlags)(IfPromiscDeny | AccessPublic)));
    }

    [Fact]
    public void A_shared_mac_difference_is_incompatible_either_way()
    {
        uint network = (uint)Policy.ForNewNetwork(OpenFlags.None, TrunkType.None);
        Assert.NotNull(Policy.CheckJoin((OpenFlags)network, (OpenFlags)SharedMac));
        Assert.NotNull(Policy.CheckJoin((OpenFlags)(network | SharedMac), OpenFlags.None));
        Assert.Null(Policy.CheckJoin((OpenFlags)(network | SharedMac), (OpenFlags)SharedMac));
    }

    [Fact]
    public void Require_exact_refuses_any_pair_the_open_gives_that_differs_and_ignores_the_rest()
    {
        uint network = (uint)Policy.ForNewNetwork(OpenFlags.None, TrunkType.None); // restricted, clients allowed
        Assert.Null(Policy.CheckJoin((OpenFlags)network, (OpenFlags)RequireExact));
        Assert.Null(Policy.CheckJoin((OpenFlags)network, (OpenFlags)(RequireExact | AccessRestricted | AllowClients)));
        Assert.NotNull(Policy.CheckJoin((OpenFlags)network, (OpenFlags)(RequireExact | AccessPublic)));
        Assert.NotNull(Policy.CheckJoin((OpenFlags)network, (OpenFlags)(RequireExact | DenyClients)));

        // Without REQUIRE_EXACT a differing pair is no conflict.
        Assert.Null(Policy.CheckJoin((OpenFlags)network, (OpenFlags)DenyClients));
    }

    [Fact]
    public void Require_as_restrictive_refuses_only_against_a_relaxed_fixed_pair()
    {
        uint relaxedFixed = (uint)Policy.ForNewNetwork((OpenFlags)PromiscFixed, TrunkType.None); // clients allowed, fixed
        uint relaxedLoose = (uint)Policy.ForNewNetwork(OpenFlags.None, TrunkType.None);
        uint restrictiveFixed = (uint)Policy.ForNewNetwork((OpenFlags)(PromiscFixed | DenyClients), TrunkType.None);
        Assert.NotNull(Policy.CheckJoin((OpenFlags)relaxedFixed, (OpenFlags)(RequireAsRestrictive | DenyClients)));
        Assert.Null(Policy.CheckJoin((OpenFlags)relaxedLoose, (OpenFlags)(RequireAsRestrictive | DenyClients)));
        Assert.Null(Policy.CheckJoin((OpenFlags)restrictiveFixed, (OpenFlags)(RequireAsRestrictive | DenyClients)));

        // Asking for the relaxed half of a fixed restrictive pair is no conflict here (it just does not change it).
        Assert.Null(Policy.CheckJoin((OpenFlags)restrictiveFixed, (OpenFlags)(RequireAsRestrictive | AllowClients)));
    }

    [Fact]
    public void A_join_changes_pairs_that_are_not_fixed_and_leaves_fixed_ones()
    {
        OpenFlags minimum = OpenFlags.None;
        uint loose = (uint)Policy.ForNewNetwork(OpenFlags.None, TrunkType.None);
        uint adapted = (uint)Policy.Adapt((OpenFlags)loose, (OpenFlags)(AccessPublic | DenyClients), ref minimum);
        Assert.Equal(AccessPublic, adapted & (AccessPublic | AccessRestricted));
        Assert.Equal(DenyClients, adapted & (AllowClients | DenyClients));

        uint fixedAccess = (uint)Policy.ForNewNetwork((OpenFlags)(AccessFixed | AccessRestricted), TrunkType.None);
        uint kept = (uint)Policy.Adapt((OpenFlags)fixedAccess, (OpenFlags)AccessPublic, ref minimum);
        Assert.Equal(AccessRestricted, kept & (AccessPublic | AccessRestricted));

        // A FIXED bit the open gives becomes the network's: later opens cannot change that pair.
        uint nowFixed = (uint)Policy.Adapt((OpenFlags)loose, (OpenFlags)(PromiscFixed | DenyClients), ref minimum);
        Assert.Equal(PromiscFixed, nowFixed & PromiscFixed);
        uint after = (uint)Policy.Adapt((OpenFlags)nowFixed, (OpenFlags)AllowClients, ref minimum);
        Assert.Equal(DenyClients, after & (AllowClients | DenyClients));
    }

    [Fact]
    public void Restrictive_minimums_asked_for_as_restrictive_are_sticky()
    {
        OpenFlags minimum = OpenFlags.None;
        uint network = (uint)Policy.ForNewNetwork(OpenFlags.None, TrunkType.None);
        network = (uint)Policy.Adapt((OpenFlags)network, (OpenFlags)(RequireAsRestrictive | DenyClients), ref minimum);
        Assert.Equal(DenyClients, network & (AllowClients | DenyClients));

        // A later open asking for the relaxed half does not lift it.
        network = (uint)Policy.Adapt((OpenFlags)network, (OpenFlags)AllowClients, ref minimum);
        Assert.Equal(DenyClients, network & (AllowClients | DenyClients));

        // Without the sticky minimum, the same sequence lifts it.
        OpenFlags none = OpenFlags.None;
        uint plain = (uint)Policy.Adapt(Policy.ForNewNetwork(OpenFlags.None, TrunkType.None), (OpenFlags)DenyClients, ref none);
        plain = (uint)Policy.Adapt((OpenFlags)plain, (OpenFlags)AllowClients, ref none);
        Assert.Equal(AllowClients, plain & (AllowClients | DenyClients));
    }
}
