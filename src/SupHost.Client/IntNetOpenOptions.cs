using SupHost.IntNet.Format;

namespace SupHost.Client;

/// <summary>What <see cref="SupClient.OpenIntNetInterface"/> opens: the network, its trunk, the policy flags and the ring sizes.</summary>
public sealed class IntNetOpenOptions
{
    /// <summary>DrvIntNet's receive ring: 318 KiB (325,632 bytes).</summary>
    public const int DefaultReceiveRingSize = 318 * 1024;

    /// <summary>DrvIntNet's send ring: 192 KiB (196,608 bytes), which holds a 64 KiB GSO frame at any offset.</summary>
    public const int DefaultSendRingSize = 192 * 1024;

    /// <summary>The network's name: 1 to 127 bytes of UTF-8.</summary>
    public required string Network { get; init; }

    /// <summary>The trunk (default <see cref="IntNetTrunkType.None"/>: an internal network).</summary>
    public IntNetTrunkType TrunkType { get; init; } = IntNetTrunkType.None;

    /// <summary>The trunk's name (0 to 63 bytes): empty for None, WhateverNone and SrvNat; the host interface or adapter for NetFlt and NetAdp.</summary>
    public string TrunkName { get; init; } = string.Empty;

    /// <summary>The policy flags (default none: the network's defaults).</summary>
    public IntNetOpenFlags Flags { get; init; }

    /// <summary>The receive ring's data size in bytes (rounded up to 8 and raised to 32 by the switch; at most its configured maximum).</summary>
    public int ReceiveRingSize { get; init; } = DefaultReceiveRingSize;

    /// <summary>The send ring's data size in bytes (likewise).</summary>
    public int SendRingSize { get; init; } = DefaultSendRingSize;

    /// <summary>
    /// Whether the interface takes GSO super-frames whole (default true: a receive may hand out
    /// <see cref="SupHost.IntNet.Format.FrameType.Gso"/> with its context). False: the switch cuts
    /// them into ordinary frames for this interface (OpenRequest reserved bit 0; NetCreate ignores it).
    /// </summary>
    public bool AcceptGso { get; init; } = true;
}
