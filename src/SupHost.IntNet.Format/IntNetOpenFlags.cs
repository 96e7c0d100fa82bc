namespace SupHost.IntNet.Format;

/// <summary>
/// The policy flags of an IntNet open, bit for bit the original's <c>INTNET_OPEN_FLAGS_*</c>
/// (REFERENCE.md §8). Network policies come in pairs (a relaxed and a restrictive bit) guarded by
/// a FIXED bit; setting both halves of a pair, or a bit outside 0x83ffffff, is refused with
/// <c>InvalidParameter</c>. Pairs left unset take the network's defaults when it is created.
/// </summary>
[Flags]
public enum IntNetOpenFlags : uint
{
    /// <summary>No flags: the defaults.</summary>
    None = 0,

    /// <summary>The host shares its MAC with the wire (the trunk may not go promiscuous). Bit 0.</summary>
    SharedMacOnWire = 1u << 0,

    /// <summary>Joining: every pair this open gives must equal the network's. Bit 1.</summary>
    RequireExact = 1u << 1,

    /// <summary>Joining: a restrictive request against a relaxed, fixed pair is refused. Bit 2.</summary>
    RequireAsRestrictivePolicies = 1u << 2,

    /// <summary>The access policy may not change. Bit 3.</summary>
    AccessFixed = 1u << 3,

    /// <summary>Anyone may join the network. Bit 4.</summary>
    AccessPublic = 1u << 4,

    /// <summary>Joining checks access to the network object (owner, group, mode). Bit 5.</summary>
    AccessRestricted = 1u << 5,

    /// <summary>The promiscuous policies may not change. Bit 6.</summary>
    PromiscFixed = 1u << 6,

    /// <summary>Client interfaces may go promiscuous. Bit 7.</summary>
    PromiscAllowClients = 1u << 7,

    /// <summary>Client interfaces may not go promiscuous. Bit 8.</summary>
    PromiscDenyClients = 1u << 8,

    /// <summary>The trunk's host end may go promiscuous. Bit 9.</summary>
    PromiscAllowTrunkHost = 1u << 9,

    /// <summary>The trunk's host end may not go promiscuous. Bit 10.</summary>
    PromiscDenyTrunkHost = 1u << 10,

    /// <summary>The trunk's wire end may go promiscuous. Bit 11.</summary>
    PromiscAllowTrunkWire = 1u << 11,

    /// <summary>The trunk's wire end may not go promiscuous. Bit 12.</summary>
    PromiscDenyTrunkWire = 1u << 12,

    /// <summary>The interface policies may not change. Bit 13.</summary>
    InterfaceFixed = 1u << 13,

    /// <summary>This interface may go promiscuous. Bit 14.</summary>
    InterfacePromiscAllow = 1u << 14,

    /// <summary>This interface may not go promiscuous. Bit 15.</summary>
    InterfacePromiscDeny = 1u << 15,

    /// <summary>A promiscuous interface sees the trunk's traffic too. Bit 16.</summary>
    InterfacePromiscSeeTrunk = 1u << 16,

    /// <summary>A promiscuous interface sees only the internal traffic. Bit 17.</summary>
    InterfacePromiscNoTrunk = 1u << 17,

    /// <summary>The trunk policies may not change. Bit 18.</summary>
    TrunkFixed = 1u << 18,

    /// <summary>The trunk's host end is connected. Bit 19.</summary>
    TrunkHostEnabled = 1u << 19,

    /// <summary>The trunk's host end is not connected. Bit 20.</summary>
    TrunkHostDisabled = 1u << 20,

    /// <summary>The trunk's host end receives only what is addressed to it. Bit 21.</summary>
    TrunkHostChasteMode = 1u << 21,

    /// <summary>The trunk's host end receives everything. Bit 22.</summary>
    TrunkHostPromiscMode = 1u << 22,

    /// <summary>The trunk's wire end is connected. Bit 23.</summary>
    TrunkWireEnabled = 1u << 23,

    /// <summary>The trunk's wire end is not connected. Bit 24.</summary>
    TrunkWireDisabled = 1u << 24,

    /// <summary>The trunk's wire end receives only what is addressed to it. Bit 25.</summary>
    TrunkWireChasteMode = 1u << 25,

    /// <summary>
    /// The trunk's wire end receives everything. Bit 26: it lies outside 0x83ffffff, the mask the
    /// switch checks (REFERENCE.md §8), so an open with it is refused today.
    /// </summary>
    TrunkWirePromiscMode = 1u << 26,

    /// <summary>The original's workaround bit 31.</summary>
    Workaround1 = 1u << 31,
}
