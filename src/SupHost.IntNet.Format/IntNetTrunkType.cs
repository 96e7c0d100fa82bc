namespace SupHost.IntNet.Format;

/// <summary>What a network connects to besides its interfaces (the original's INTNETTRUNKTYPE).</summary>
public enum IntNetTrunkType : uint
{
    /// <summary>Not a trunk type: refused with <c>InvalidParameter</c>.</summary>
    Invalid = 0,

    /// <summary>No trunk: an internal network.</summary>
    None = 1,

    /// <summary>Joining: whatever trunk the network has; creating: none.</summary>
    WhateverNone = 2,

    /// <summary>A host interface through the NetFlt driver (the trunk name is the interface).</summary>
    NetFlt = 3,

    /// <summary>A host-only adapter through the NetAdp driver (the trunk name is the adapter).</summary>
    NetAdp = 4,

    /// <summary>The NAT service's network.</summary>
    SrvNat = 5,
}
