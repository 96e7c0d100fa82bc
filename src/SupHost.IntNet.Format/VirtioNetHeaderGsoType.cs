namespace SupHost.IntNet.Format;

/// <summary>
/// The <c>gso_type</c> byte of a virtio_net_hdr (<c>VIRTIO_NET_HDR_GSO_*</c>,
/// include/uapi/linux/virtio_net.h): a type in the low 7 bits, <see cref="Ecn"/> or-ed on top.
/// </summary>
public enum VirtioNetHeaderGsoType : byte
{
    /// <summary><c>GSO_NONE</c>: an ordinary frame.</summary>
    None = 0,

    /// <summary><c>GSO_TCPV4</c>: TCP over IPv4 (TSO).</summary>
    TcpV4 = 1,

    /// <summary><c>GSO_UDP</c>: UDP cut into IP fragments (UFO); <see cref="GsoType.IPv4Udp"/>.</summary>
    Udp = 3,

    /// <summary><c>GSO_TCPV6</c>: TCP over IPv6 (TSO).</summary>
    TcpV6 = 4,

    /// <summary><c>GSO_UDP_L4</c>: UDP cut into separate datagrams (USO, Linux 6.2 and later with
    /// <c>TUN_F_USO4/6</c>); over IPv6 it is <see cref="GsoType.IPv6Udp"/>.</summary>
    UdpL4 = 5,

    /// <summary><c>GSO_ECN</c> (a bit on top of a TCP type): the TCP header has CWR set, which only the
    /// first segment keeps.</summary>
    Ecn = 0x80,
}
