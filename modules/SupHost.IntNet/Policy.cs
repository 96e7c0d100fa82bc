namespace SupHost.IntNet;

/// <summary>
/// The open flags' rules (REFERENCE.md §8, the original's SrvIntNetR0): validation, a new network's
/// defaults, the checks on joining and how a join adapts the network's policy.
/// </summary>
internal static class Policy
{
    /// <summary>The flags an open may carry (INTNET_OPEN_FLAGS_MASK; as the original's, it leaves out bit 26, TRUNK_WIRE_PROMISC_MODE).</summary>
    public const OpenFlags Mask = (OpenFlags)0x83ffffff;

    /// <summary>The network-wide pairs: restrictive bit, relaxed bit, the FIXED bit that guards them.</summary>
    public static readonly (OpenFlags Restrictive, OpenFlags Relaxed, OpenFlags Fixed)[] NetworkPairs =
    [
        (OpenFlags.AccessRestricted, OpenFlags.AccessPublic, OpenFlags.AccessFixed),
        (OpenFlags.PromiscDenyClients, OpenFlags.PromiscAllowClients, OpenFlags.PromiscFixed),
        (OpenFlags.PromiscDenyTrunkHost, OpenFlags.PromiscAllowTrunkHost, OpenFlags.PromiscFixed),
        (OpenFlags.PromiscDenyTrunkWire, OpenFlags.PromiscAllowTrunkWire, OpenFlags.PromiscFixed),
        (OpenFlags.TrunkHostDisabled, OpenFlags.TrunkHostEnabled, OpenFlags.TrunkFixed),
        (OpenFlags.TrunkHostChasteMode, OpenFlags.TrunkHostPromiscMode, OpenFlags.TrunkFixed),
        (OpenFlags.TrunkWireDisabled, OpenFlags.TrunkWireEnabled, OpenFlags.TrunkFixed),
        (OpenFlags.TrunkWireChasteMode, OpenFlags.TrunkWirePromiscMode, OpenFlags.TrunkFixed),
    ];

    /// <summary>The per-interface pairs.</summary>
    public static readonly (OpenFlags Restrictive, OpenFlags Relaxed, OpenFlags Fixed)[] InterfacePairs =
    [
        (OpenFlags.InterfacePromiscDeny, OpenFlags.InterfacePromiscAllow, OpenFlags.InterfaceFixed),
        (OpenFlags.InterfacePromiscNoTrunk, OpenFlags.InterfacePromiscSeeTrunk, OpenFlags.InterfaceFixed),
    ];

    /// <summary>Why <paramref name="flags"/> cannot be opened with, or null: bits outside the mask, or both halves of a pair.</summary>
    public static string? Validate(OpenFlags flags)
    {
        if ((flags & ~Mask) != OpenFlags.None)
        {
            return $"flags 0x{(uint)flags:x8} have bits outside 0x{(uint)Mask:x8}: 0x{(uint)(flags & ~Mask):x8}";
        }

        foreach ((OpenFlags restrictive, OpenFlags relaxed, OpenFlags _) in NetworkPairs.Concat(InterfacePairs))
        {
            if ((flags & restrictive) != OpenFlags.None && (flags & relaxed) != OpenFlags.None)
            {
                return $"flags 0x{(uint)flags:x8} ask for both {relaxed} and {restrictive}";
            }
        }

        return null;
    }

    /// <summary>
    /// The policy of a network created by an open with <paramref name="flags"/>: each pair the open
    /// left unset gets its default (promiscuous mode allowed for clients and both trunk ends, both
    /// trunk ends enabled and chaste), access restricted for None, WhateverNone and SrvNat networks
    /// and public for NetFlt and NetAdp ones. Interface pairs are not the network's.
    /// </summary>
    public static OpenFlags ForNewNetwork(OpenFlags flags, TrunkType trunk)
    {
        OpenFlags network = flags & ~(OpenFlags.InterfaceFixed | OpenFlags.InterfacePromiscAllow | OpenFlags.InterfacePromiscDeny | OpenFlags.InterfacePromiscSeeTrunk | OpenFlags.InterfacePromiscNoTrunk);
        OpenFlags[] defaults =
        [
            trunk is TrunkType.NetFlt or TrunkType.NetAdp ? OpenFlags.AccessPublic : OpenFlags.AccessRestricted,
            OpenFlags.PromiscAllowClients,
            OpenFlags.PromiscAllowTrunkHost,
            OpenFlags.PromiscAllowTrunkWire,
            OpenFlags.TrunkHostEnabled,
            OpenFlags.TrunkHostChasteMode,
            OpenFlags.TrunkWireEnabled,
            OpenFlags.TrunkWireChasteMode,
        ];
        for (int i = 0; i < NetworkPairs.Length; i++)
        {
            (OpenFlags restrictive, OpenFlags relaxed, OpenFlags _) = NetworkPairs[i];
            if ((network & (restrictive | relaxed)) == OpenFlags.None)
            {
                network |= defaults[i];
            }
        }

        return network;
    }

    /// <summary>An interface's own policy: its pairs as the open gave them, else promiscuous mode allowed and seeing the trunk.</summary>
    public static OpenFlags ForInterface(OpenFlags flags)
    {
        OpenFlags result = flags & (OpenFlags.InterfaceFixed | OpenFlags.InterfacePromiscAllow | OpenFlags.InterfacePromiscDeny | OpenFlags.InterfacePromiscSeeTrunk | OpenFlags.InterfacePromiscNoTrunk);
        if ((result & (OpenFlags.InterfacePromiscAllow | OpenFlags.InterfacePromiscDeny)) == OpenFlags.None)
        {
            result |= OpenFlags.InterfacePromiscAllow;
        }

        if ((result & (OpenFlags.InterfacePromiscSeeTrunk | OpenFlags.InterfacePromiscNoTrunk)) == OpenFlags.None)
        {
            result |= OpenFlags.InterfacePromiscSeeTrunk;
        }

        return result;
    }

    /// <summary>
    /// Whether an open with <paramref name="flags"/> may join a network of policy
    /// <paramref name="network"/>: the shared-MAC bit must agree; with REQUIRE_EXACT every pair the
    /// open gives must equal the network's; with REQUIRE_AS_RESTRICTIVE_POLICIES a restrictive
    /// half the open asks for must not meet a relaxed, FIXED pair. Null, or why not (IncompatibleFlags).
    /// </summary>
    public static string? CheckJoin(OpenFlags network, OpenFlags flags)
    {
        if (((network ^ flags) & OpenFlags.SharedMacOnWire) != OpenFlags.None)
        {
            return (flags & OpenFlags.SharedMacOnWire) != OpenFlags.None
                ? "the open asks for a shared MAC on the wire and the network has none"
                : "the network shares the MAC on the wire and the open does not ask for it";
        }

        foreach ((OpenFlags restrictive, OpenFlags relaxed, OpenFlags fixedBit) in NetworkPairs)
        {
            OpenFlags pair = restrictive | relaxed;
            OpenFlags asked = flags & pair;
            if ((flags & OpenFlags.RequireExact) != OpenFlags.None && asked != OpenFlags.None && asked != (network & pair))
            {
                return $"the open requires exactly {asked} and the network has {network & pair}";
            }

            if ((flags & OpenFlags.RequireAsRestrictivePolicies) != OpenFlags.None
                && (flags & restrictive) != OpenFlags.None
                && (network & restrictive) == OpenFlags.None
                && (network & fixedBit) != OpenFlags.None)
            {
                return $"the open requires {restrictive} and the network's {relaxed} is fixed";
            }
        }

        return null;
    }

    /// <summary>
    /// The network's policy after a join with <paramref name="flags"/>: every pair that is not
    /// FIXED takes the open's half where it gives one, except that a restrictive half in
    /// <paramref name="minimum"/> (those REQUIRE_AS_RESTRICTIVE_POLICIES opens asked for, sticky)
    /// stays; FIXED bits the open gives become the network's. <paramref name="minimum"/> gains the
    /// restrictive halves of this open when it requires as restrictive.
    /// </summary>
    public static OpenFlags Adapt(OpenFlags network, OpenFlags flags, ref OpenFlags minimum)
    {
        if ((flags & OpenFlags.RequireAsRestrictivePolicies) != OpenFlags.None)
        {
            foreach ((OpenFlags restrictive, OpenFlags _, OpenFlags _) in NetworkPairs)
            {
                minimum |= flags & restrictive;
            }
        }

        foreach ((OpenFlags restrictive, OpenFlags relaxed, OpenFlags fixedBit) in NetworkPairs)
        {
            OpenFlags pair = restrictive | relaxed;
            OpenFlags asked = flags & pair;
            if (asked != OpenFlags.None && (network & fixedBit) == OpenFlags.None)
            {
                network = (network & ~pair) | asked;
            }

            if ((minimum & restrictive) != OpenFlags.None)
            {
                network = (network & ~pair) | restrictive;
            }
        }

        return network | (flags & (OpenFlags.AccessFixed | OpenFlags.PromiscFixed | OpenFlags.TrunkFixed));
    }
}
