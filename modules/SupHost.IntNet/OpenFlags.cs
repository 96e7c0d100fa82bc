namespace SupHost.IntNet;

/// <summary>
/// The policy flags of an open (the original's INTNET_OPEN_FLAGS_*, REFERENCE.md §8): network
/// policy pairs (one relaxed and one restrictive bit each, guarded by a FIXED bit), interface
/// policy pairs, and the lone bits.
/// </summary>
[Flags]
internal enum OpenFlags : uint
{
    None = 0,
    SharedMacOnWire = 1u << 0,
    RequireExact = 1u << 1,
    RequireAsRestrictivePolicies = 1u << 2,
    AccessFixed = 1u << 3,
    AccessPublic = 1u << 4,
    AccessRestricted = 1u << 5,
    PromiscFixed = 1u << 6,
    PromiscAllowClients = 1u << 7,
    PromiscDenyClients = 1u << 8,
    PromiscAllowTrunkHost = 1u << 9,
    PromiscDenyTrunkHost = 1u << 10,
    PromiscAllowTrunkWire = 1u << 11,
    PromiscDenyTrunkWire = 1u << 12,
    InterfaceFixed = 1u << 13,
    InterfacePromiscAllow = 1u << 14,
    InterfacePromiscDeny = 1u << 15,
    InterfacePromiscSeeTrunk = 1u << 16,
    InterfacePromiscNoTrunk = 1u << 17,
    TrunkFixed = 1u << 18,
    TrunkHostEnabled = 1u << 19,
    TrunkHostDisabled = 1u << 20,
    TrunkHostChasteMode = 1u << 21,
    TrunkHostPromiscMode = 1u << 22,
    TrunkWireEnabled = 1u << 23,
    TrunkWireDisabled = 1u << 24,
    TrunkWireChasteMode = 1u << 25,
    TrunkWirePromiscMode = 1u << 26,
    Workaround1 = 1u << 31,
}
