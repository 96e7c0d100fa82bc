using System.Buffers.Binary;
using SupHost.IntNet.Format.Internal;

namespace SupHost.IntNet.Format;

/// <summary>
/// The kernel's <c>struct virtio_net_hdr</c> (10 bytes, include/uapi/linux/virtio_net.h) that a
/// TAP opened with <c>IFF_VNET_HDR</c> and an <c>AF_PACKET</c> socket with <c>PACKET_VNET_HDR</c>
/// put in front of every frame: u8 flags @0, u8 gso_type @1, u16 hdr_len @2, u16 gso_size @4,
/// u16 csum_start @6, u16 csum_offset @8, little endian (x86-64 native; a TAP left at its
/// default byte order). It converts to and from a <see cref="GsoContext"/> (docs/gso.md).
/// </summary>
/// <param name="Flags">The flags (<c>flags</c>).</param>
/// <param name="GsoType">The GSO type and the ECN bit (<c>gso_type</c>).</param>
/// <param name="HeaderLength">The length of the headers, Ethernet to TCP/UDP (<c>hdr_len</c>): a hint only;
/// Linux puts the linear part of its buffer here, which can reach into the payload.</param>
/// <param name="GsoSize">The payload of one segment (<c>gso_size</c>).</param>
/// <param name="ChecksumStart">Where a pending checksum starts, from the frame start (<c>csum_start</c>).</param>
/// <param name="ChecksumOffset">Where its field lies, from <paramref name="ChecksumStart"/> (<c>csum_offset</c>).</param>
public readonly record struct VirtioNetHeader(
    VirtioNetHeaderFlags Flags,
    VirtioNetHeaderGsoType GsoType,
    ushort HeaderLength,
    ushort GsoSize,
    ushort ChecksumStart,
    ushort ChecksumOffset)
{
    /// <summary>The size of the header (without the <c>num_buffers</c> of the mergeable-buffers variant).</summary>
    public const int Size = 10;

    private const int TcpChecksumOffset = GsoHeaders.TcpChecksum;
    private const int UdpChecksumOffset = GsoHeaders.UdpChecksum;

    /// <summary>Reads a header from its 10 bytes.</summary>
    /// <param name="source">At least <see cref="Size"/> bytes.</param>
    /// <returns>The header, not yet validated.</returns>
    /// <exception cref="ArgumentException"><paramref name="source"/> is shorter than 10 bytes.</exception>
    public static VirtioNetHeader Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size)
        {
            GsoThrowHelper.ThrowSourceTooShort(source.Length, Size);
        }

        return new VirtioNetHeader(
            (VirtioNetHeaderFlags)source[0],
            (VirtioNetHeaderGsoType)source[1],
            BinaryPrimitives.ReadUInt16LittleEndian(source[2..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[4..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[6..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[8..]));
    }

    /// <summary>Writes the header's 10 bytes.</summary>
    /// <param name="destination">At least <see cref="Size"/> bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 10 bytes.</exception>
    public void Write(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            GsoThrowHelper.ThrowDestinationTooShort(destination.Length, Size);
        }

        destination[0] = (byte)Flags;
        destination[1] = (byte)GsoType;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], HeaderLength);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], GsoSize);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], ChecksumStart);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[8..], ChecksumOffset);
    }

    /// <summary>
    /// Turns a frame a TAP or packet socket handed over with this header into what the switch
    /// carries: an ordinary frame with complete checksums, or a GSO super-frame and its context.
    /// The header is hostile: it is checked as strictly as a context from a client's ring.
    /// </summary>
    /// <param name="frame">The Ethernet frame behind the header, the caller's own copy: a pending
    /// checksum of an ordinary frame is completed in place; a GSO frame is left as it is.</param>
    /// <param name="context">The context, for <see cref="VirtioNetHeaderConversion.Gso"/>; default otherwise.</param>
    /// <returns>What the frame is (docs/gso.md, "From virtio_net_hdr").</returns>
    public VirtioNetHeaderConversion ToGso(Span<byte> frame, out GsoContext context)
    {
        context = default;
        VirtioNetHeaderGsoType kind = GsoType & ~VirtioNetHeaderGsoType.Ecn;
        bool ecn = (GsoType & VirtioNetHeaderGsoType.Ecn) != VirtioNetHeaderGsoType.None;
        bool needsChecksum = (Flags & VirtioNetHeaderFlags.NeedsChecksum) != VirtioNetHeaderFlags.None;

        // Linux's tun refuses a header that claims more header bytes than the frame has.
        if (HeaderLength > frame.Length)
        {
            return VirtioNetHeaderConversion.Invalid;
        }

        // An ordinary frame: at most a checksum to complete.
        if (kind == VirtioNetHeaderGsoType.None)
        {
            return !ecn && (!needsChecksum || Checksum.TryCompletePartial(frame, ChecksumStart, ChecksumOffset))
                ? VirtioNetHeaderConversion.Plain
                : VirtioNetHeaderConversion.Invalid;
        }

        // The GSO type: the virtio type and the frame's IP version together.
        int network = NetworkHeaderOffset(frame, out ushort etherType);
        if (network < 0)
        {
            return VirtioNetHeaderConversion.Invalid;
        }

        int version = frame[network] >> 4;
        GsoType type = (kind, version, etherType) switch
        {
            (VirtioNetHeaderGsoType.TcpV4, 4, 0x0800) => Format.GsoType.IPv4Tcp,
            (VirtioNetHeaderGsoType.TcpV6, 6, 0x86DD) => Format.GsoType.IPv6Tcp,
            (VirtioNetHeaderGsoType.Udp, 4, 0x0800) => Format.GsoType.IPv4Udp,
            (VirtioNetHeaderGsoType.UdpL4, 6, 0x86DD) => Format.GsoType.IPv6Udp,
            _ => Format.GsoType.Invalid,
        };
        if (type == Format.GsoType.Invalid)
        {
            bool wellFormedElsewhere = (kind, version, etherType) is
                (VirtioNetHeaderGsoType.Udp, 6, 0x86DD) or (VirtioNetHeaderGsoType.UdpL4, 4, 0x0800);
            return wellFormedElsewhere ? VirtioNetHeaderConversion.Unsupported : VirtioNetHeaderConversion.Invalid;
        }

        // The transport header: where the pending checksum starts (it must be the TCP or UDP
        // field), or else right behind the IP header; its length from the TCP data offset.
        bool tcp = type is Format.GsoType.IPv4Tcp or Format.GsoType.IPv6Tcp;
        if (ecn && !tcp)
        {
            return VirtioNetHeaderConversion.Invalid;
        }

        int transport;
        if (needsChecksum)
        {
            transport = ChecksumStart;
            if (ChecksumOffset != (tcp ? TcpChecksumOffset : UdpChecksumOffset))
            {
                return VirtioNetHeaderConversion.Invalid;
            }
        }
        else
        {
            transport = version == 4 ? network + ((frame[network] & 0x0F) * 4) : network + GsoHeaders.IPv6Length;
        }

        int minimum = tcp ? GsoHeaders.TcpMinLength : GsoHeaders.UdpLength;
        if (transport > frame.Length - minimum)
        {
            return VirtioNetHeaderConversion.Invalid;
        }

        int headers = transport + (tcp ? (frame[transport + GsoHeaders.TcpDataOffset] >> 4) * 4 : GsoHeaders.UdpLength);
        if (headers > byte.MaxValue || GsoSize == 0)
        {
            return VirtioNetHeaderConversion.Invalid;
        }

        var candidate = new GsoContext(
            type, (byte)headers, GsoSize, (byte)network, (byte)transport, type == Format.GsoType.IPv4Udp ? (byte)transport : (byte)headers);

        if (candidate.IsValid(frame))
        {
            context = candidate;
            return VirtioNetHeaderConversion.Gso;
        }

        // Less than one full segment is an ordinary frame (the kernel set its lengths; only its
        // checksum may be pending), its layout still checked like a context's.
        return frame.Length - candidate.SegmentHeadersLength < GsoSize
            && candidate.IsValidWhole(frame)
            && (!needsChecksum || Checksum.TryCompletePartial(frame, ChecksumStart, ChecksumOffset))
            ? VirtioNetHeaderConversion.Plain
            : VirtioNetHeaderConversion.Invalid;
    }

    /// <summary>
    /// Makes a GSO super-frame ready for a TAP that takes it whole (the original's
    /// <c>PDMNetGsoPrepForDirectUse</c> with a pseudo-header checksum): the IP length fields
    /// and the IPv4 header checksum describe the whole frame, the UDP length the whole datagram,
    /// and the TCP/UDP checksum field holds the pseudo-header sum, for the kernel to complete.
    /// </summary>
    /// <param name="context">The frame's context, as a client wrote it.</param>
    /// <param name="frame">The super-frame, the caller's own copy (never a shared ring): rewritten in place.</param>
    /// <param name="header">The header to write in front of it: NEEDS_CSUM, the virtio GSO type (ECN when the
    /// TCP header has CWR), hdr_len the headers, gso_size the maximum segment, csum_start the transport header.</param>
    /// <returns>False, with the frame untouched, for an invalid context or a frame that disagrees with it.</returns>
    public static bool TryFromGso(GsoContext context, Span<byte> frame, out VirtioNetHeader header) =>
        TryFromGso(context, frame, frame.Length, out header);

    /// <summary>
    /// <see cref="TryFromGso(GsoContext, Span{byte}, out VirtioNetHeader)"/> on the frame's header
    /// block alone (<paramref name="headers"/>: a copy of its first bytes, at least the context's
    /// headers length), for a frame of <paramref name="frameLength"/> bytes whose payload goes to the
    /// device from where it lies: only the header block is checked and rewritten.
    /// </summary>
    internal static bool TryFromGso(GsoContext context, Span<byte> headers, int frameLength, out VirtioNetHeader header)
    {
        header = default;
        if (!context.IsValid(headers, frameLength))
        {
            return false;
        }

        Span<byte> frame = headers;

        bool tcp = context.Type is Format.GsoType.IPv4Tcp or Format.GsoType.IPv6Tcp;
        VirtioNetHeaderGsoType type = context.Type switch
        {
            Format.GsoType.IPv4Tcp => VirtioNetHeaderGsoType.TcpV4,
            Format.GsoType.IPv6Tcp => VirtioNetHeaderGsoType.TcpV6,
            Format.GsoType.IPv4Udp => VirtioNetHeaderGsoType.Udp,
            _ => VirtioNetHeaderGsoType.UdpL4,
        };
        if (tcp && (frame[context.TransportHeaderOffset + GsoHeaders.TcpFlags] & GsoHeaders.TcpCwr) != 0)
        {
            type |= VirtioNetHeaderGsoType.Ecn;
        }

        PrepareWhole(context, frame, frameLength);
        header = new VirtioNetHeader(
            VirtioNetHeaderFlags.NeedsChecksum,
            type,
            context.HeadersLength,
            (ushort)context.SegmentStride,
            context.TransportHeaderOffset,
            (ushort)(tcp ? TcpChecksumOffset : UdpChecksumOffset));
        return true;
    }

    /// <summary>
    /// Where the IP header starts: behind the Ethernet header, or behind one 802.1Q / 802.1ad tag;
    /// -1 when the frame is too short to hold it.
    /// </summary>
    private static int NetworkHeaderOffset(ReadOnlySpan<byte> frame, out ushort etherType)
    {
        etherType = 0;
        if (frame.Length <= GsoHeaders.EthernetLength + GsoHeaders.VlanTagLength)
        {
            return -1;
        }

        int offset = GsoHeaders.EthernetLength;
        etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[GsoHeaders.EthernetType..]);
        if (etherType is GsoHeaders.EtherTypeVlan or GsoHeaders.EtherTypeQinQ)
        {
            etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[(GsoHeaders.EthernetType + GsoHeaders.VlanTagLength)..]);
            offset += GsoHeaders.VlanTagLength;
        }

        return offset;
    }

    /// <summary>
    /// The lengths, the IPv4 header checksum and the pseudo-header sum of a whole super-frame of
    /// <paramref name="frameLength"/> bytes, written into its header block (<paramref name="headers"/>:
    /// the frame, or a copy of its first bytes; every field lies inside the context's headers).
    /// </summary>
    private static void PrepareWhole(GsoContext context, Span<byte> headers, int frameLength)
    {
        Span<byte> frame = headers;
        bool tcp = context.Type is Format.GsoType.IPv4Tcp or Format.GsoType.IPv6Tcp;
        byte protocol = tcp ? GsoHeaders.ProtocolTcp : GsoHeaders.ProtocolUdp;
        int transportLength = frameLength - context.TransportHeaderOffset;
        Span<byte> ip = frame[context.NetworkHeaderOffset..context.TransportHeaderOffset];
        ushort pseudo;
        if (context.Type is Format.GsoType.IPv4Tcp or Format.GsoType.IPv4Udp)
        {
            BinaryPrimitives.WriteUInt16BigEndian(ip[GsoHeaders.IPv4TotalLength..], (ushort)(frameLength - context.NetworkHeaderOffset));
            Checksum.SetIPv4HeaderChecksum(ip);
            pseudo = Checksum.PseudoHeaderIPv4(ip, protocol, transportLength);
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(
                ip[GsoHeaders.IPv6PayloadLength..], (ushort)(frameLength - context.NetworkHeaderOffset - GsoHeaders.IPv6Length));
            pseudo = Checksum.PseudoHeaderIPv6(ip, protocol, transportLength);
        }

        Span<byte> transport = frame[context.TransportHeaderOffset..];
        if (!tcp)
        {
            BinaryPrimitives.WriteUInt16BigEndian(transport[GsoHeaders.UdpLengthField..], (ushort)transportLength);
        }

        BinaryPrimitives.WriteUInt16BigEndian(transport[(tcp ? TcpChecksumOffset : UdpChecksumOffset)..], pseudo);
    }
}
