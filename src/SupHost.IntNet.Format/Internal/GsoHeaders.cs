namespace SupHost.IntNet.Format.Internal;

/// <summary>
/// Offsets and sizes of the headers segmentation reads and rewrites: Ethernet (IEEE 802.3),
/// IPv4 (RFC 791 §3.1), IPv6 (RFC 8200 §3), TCP (RFC 9293 §3.1) and UDP (RFC 768).
/// </summary>
internal static class GsoHeaders
{
    public const int EthernetLength = 14;
    public const int EthernetType = 12;
    public const ushort EtherTypeVlan = 0x8100;
    public const ushort EtherTypeQinQ = 0x88A8;
    public const int VlanTagLength = 4;

    public const int IPv4MinLength = 20;
    public const int IPv4MaxLength = 60;
    public const int IPv4TotalLength = 2;
    public const int IPv4Id = 4;
    public const int IPv4Fragment = 6;
    public const int IPv4Protocol = 9;
    public const int IPv4Checksum = 10;
    public const int IPv4Source = 12;

    /// <summary>ip_off: the more-fragments bit, and the offset in 8-byte units below it.</summary>
    public const ushort IPv4MoreFragments = 0x2000;
    public const ushort IPv4FragmentOffsetMask = 0x1FFF;

    public const int IPv6Length = 40;
    public const int IPv6PayloadLength = 4;
    public const int IPv6NextHeader = 6;
    public const int IPv6Source = 8;

    /// <summary>The largest value of the 16-bit IPv4 total length and IPv6 payload length.</summary>
    public const int IPMaxLength = 65_535;

    public const byte ProtocolTcp = 6;
    public const byte ProtocolUdp = 17;

    public const int TcpMinLength = 20;
    public const int TcpMaxLength = 60;
    public const int TcpSequence = 4;
    public const int TcpDataOffset = 12;
    public const int TcpFlags = 13;
    public const int TcpChecksum = 16;
    public const byte TcpFin = 0x01;
    public const byte TcpPsh = 0x08;
    public const byte TcpCwr = 0x80;

    public const int UdpLength = 8;
    public const int UdpLengthField = 4;
    public const int UdpChecksum = 6;
}
