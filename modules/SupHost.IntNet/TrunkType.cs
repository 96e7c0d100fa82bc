namespace SupHost.IntNet;

/// <summary>What a network's trunk connects it to (INTNETTRUNKTYPE).</summary>
internal enum TrunkType : uint
{
    Invalid = 0,

    /// <summary>No trunk.</summary>
    None = 1,

    /// <summary>Joining: whatever trunk the network has; creating: none.</summary>
    WhateverNone = 2,

    /// <summary>A host interface, bridged (the NetFlt driver).</summary>
    NetFlt = 3,

    /// <summary>A host-only adapter (the NetAdp driver).</summary>
    NetAdp = 4,

    /// <summary>A NAT service; like None here.</summary>
    SrvNat = 5,
}
