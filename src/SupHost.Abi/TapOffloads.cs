namespace SupHost.Abi;

/// <summary>What the module can take from a TAP unfinished (TUNSETOFFLOAD's TUN_F_* of linux/if_tun.h).</summary>
[Flags]
public enum TapOffloads
{
    /// <summary>Only complete frames, each at most the MTU.</summary>
    None = 0,

    /// <summary>TUN_F_CSUM: frames whose checksum is left partial (virtio_net_hdr's NEEDS_CSUM).</summary>
    Checksum = 1,

    /// <summary>TUN_F_TSO4: TCP/IPv4 super-frames of up to 64 KiB (needs <see cref="Checksum"/>).</summary>
    TcpSegmentation4 = 2,

    /// <summary>TUN_F_TSO6: TCP/IPv6 super-frames (needs <see cref="Checksum"/>).</summary>
    TcpSegmentation6 = 4,

    /// <summary>TUN_F_TSO_ECN: TSO frames with the ECN bit set.</summary>
    TcpSegmentationEcn = 8,
}
