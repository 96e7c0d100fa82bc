using System.Buffers.Binary;
using SupHost.IntNet.Format.Internal;

namespace SupHost.IntNet.Format;

/// <summary>
/// The segmentation metadata in front of a GSO super-frame (the original's <c>PDMNETWORKGSO</c>,
/// 8 bytes): what the frame carries, where its headers are, and how large each segment may be.
/// Layout (docs/gso.md): u8 type @0, u8 headers length @1, u16 max segment @2 (little endian),
/// u8 network header offset @4, u8 transport header offset @5, u8 headers per segment @6, u8
/// unused @7.
/// </summary>
/// <remarks>
/// A client writes every field: nothing here is trusted before <see cref="IsValid(int)"/> (the
/// original's <c>PDMNetGsoIsValid</c> and the checks it leaves out), and segmentation takes every
/// offset and length from the validated context, never again from the frame.
/// </remarks>
/// <param name="Type">What the frame carries (<c>u8Type</c>).</param>
/// <param name="HeadersLength">The length of all headers, Ethernet to TCP/UDP (<c>cbHdrsTotal</c>).</param>
/// <param name="MaxSegmentSize">The largest payload of one segment (<c>cbMaxSeg</c>): the TCP MSS, the UDP
/// payload of one datagram (IPv6), or the IP payload of one fragment (IPv4 UDP).</param>
/// <param name="NetworkHeaderOffset">Where the IP header starts (<c>offHdr1</c>).</param>
/// <param name="TransportHeaderOffset">Where the TCP/UDP header starts (<c>offHdr2</c>).</param>
/// <param name="SegmentHeadersLength">The headers each segment repeats (<c>cbHdrsSeg</c>): all of them
/// for TCP and IPv6 UDP, the IP header and what precedes it for IPv4 UDP, whose UDP header travels
/// in the first fragment only.</param>
public readonly record struct GsoContext(
    GsoType Type,
    byte HeadersLength,
    ushort MaxSegmentSize,
    byte NetworkHeaderOffset,
    byte TransportHeaderOffset,
    byte SegmentHeadersLength)
{
    /// <summary>The size of the context in front of a GSO frame.</summary>
    public const int Size = 8;

    /// <summary>
    /// The most segments a valid context cuts a frame into: one-byte UDP datagrams filling an IPv6
    /// packet (65,535 − 8). The IP length rule of <see cref="IsValid(int)"/> bounds the count, and
    /// with it the work one frame can make (below Linux's <c>GSO_MAX_SEGS</c> of 65,535).
    /// </summary>
    public const int MaxSegments = 65_527;

    /// <summary>Reads a context from its 8 bytes (the unused byte is ignored).</summary>
    /// <param name="source">At least <see cref="Size"/> bytes.</param>
    /// <returns>The context, not yet validated.</returns>
    /// <exception cref="ArgumentException"><paramref name="source"/> is shorter than 8 bytes.</exception>
    public static GsoContext Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size)
        {
            GsoThrowHelper.ThrowSourceTooShort(source.Length, Size);
        }

        return new GsoContext(
            (GsoType)source[0],
            source[1],
            BinaryPrimitives.ReadUInt16LittleEndian(source[2..]),
            source[4],
            source[5],
            source[6]);
    }

    /// <summary>Writes the context's 8 bytes (the unused byte as zero).</summary>
    /// <param name="destination">At least <see cref="Size"/> bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 8 bytes.</exception>
    public void Write(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            GsoThrowHelper.ThrowDestinationTooShort(destination.Length, Size);
        }

        destination[0] = (byte)Type;
        destination[1] = HeadersLength;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], MaxSegmentSize);
        destination[4] = NetworkHeaderOffset;
        destination[5] = TransportHeaderOffset;
        destination[6] = SegmentHeadersLength;
        destination[7] = 0;
    }

    /// <summary>
    /// Whether the context is consistent in itself and with a frame of
    /// <paramref name="frameLength"/> bytes (docs/gso.md, "Validity"): the original's checks in
    /// its order, then the ones it leaves out (exact header sizes, headers per segment, the IP
    /// length fields, which also bound the number of segments by <see cref="MaxSegments"/>).
    /// </summary>
    /// <param name="frameLength">The length of the Ethernet frame behind the context.</param>
    /// <returns>True when segmentation of such a frame is well defined.</returns>
    public bool IsValid(int frameLength)
    {
        if (!LayoutIsValid())
        {
            return false;
        }

        // At least one full segment behind the headers each segment repeats (the original counts
        // from all headers, which for IPv4 fragments counts the UDP header twice and refuses a
        // datagram that fills one fragment and a few bytes of the next), and a fragment that
        // holds the UDP header the first one carries.
        if (frameLength <= HeadersLength
            || frameLength - SegmentHeadersLength < MaxSegmentSize
            || MaxSegmentSize == 0
            || (Type == GsoType.IPv4Udp && MaxSegmentSize < GsoHeaders.UdpLength))
        {
            return false;
        }

        return IPPacketFits(frameLength);
    }

    /// <summary>
    /// <see cref="IsValid(int)"/>, and whether the frame's own headers agree with the context:
    /// the IP version; for IPv4 the header length (IHL), the protocol and no fragment bits; for
    /// IPv6 without extension headers the next header; for TCP the data offset.
    /// </summary>
    /// <param name="frame">The Ethernet frame behind the context.</param>
    /// <returns>True when the frame can be segmented (or handed on whole) as the context says.</returns>
    public bool IsValid(ReadOnlySpan<byte> frame) => IsValid(frame.Length) && HeadersAgree(frame);

    /// <summary>
    /// <see cref="IsValid(ReadOnlySpan{byte})"/> from the frame's header block alone (at least
    /// <see cref="HeadersLength"/> bytes: the frame's first bytes, or a copy of them) and the
    /// frame's length.
    /// </summary>
    internal bool IsValid(ReadOnlySpan<byte> headers, int frameLength) =>
        headers.Length >= HeadersLength && IsValid(frameLength) && HeadersAgree(headers);

    /// <summary>
    /// The rules of <see cref="IsValid(ReadOnlySpan{byte})"/> that do not concern segments: for a
    /// frame whose payload fits one segment, handed on as an ordinary frame.
    /// </summary>
    internal bool IsValidWhole(ReadOnlySpan<byte> frame) =>
        LayoutIsValid() && frame.Length > HeadersLength && IPPacketFits(frame.Length) && HeadersAgree(frame);

    /// <summary>The type, and headers that fit where the offsets put them.</summary>
    private bool LayoutIsValid()
    {
        // The type, then the header positions: both headers, in order, behind the Ethernet header.
        if (Type is < GsoType.IPv4Tcp or > GsoType.IPv6Udp
            || NetworkHeaderOffset < GsoHeaders.EthernetLength
            || TransportHeaderOffset <= NetworkHeaderOffset
            || HeadersLength <= TransportHeaderOffset)
        {
            return false;
        }

        // Room for the IP header (IPv4: what its 4-bit IHL can describe; IPv6: the fixed header
        // and any extension headers) and for exactly the TCP or UDP header; the headers each
        // segment repeats are all of them, except the UDP header of IPv4 fragments.
        int ipLength = TransportHeaderOffset - NetworkHeaderOffset;
        int transportLength = HeadersLength - TransportHeaderOffset;
        bool ipFits = IsIPv4
            ? ipLength is >= GsoHeaders.IPv4MinLength and <= GsoHeaders.IPv4MaxLength
            : ipLength >= GsoHeaders.IPv6Length;
        bool transportFits = IsTcp
            ? transportLength is >= GsoHeaders.TcpMinLength and <= GsoHeaders.TcpMaxLength
            : transportLength == GsoHeaders.UdpLength;
        int expectedSegmentHeaders = Type == GsoType.IPv4Udp ? TransportHeaderOffset : HeadersLength;
        return ipFits && transportFits && SegmentHeadersLength == expectedSegmentHeaders;
    }

    /// <summary>
    /// The super-frame is one IP packet: its length must fit the 16-bit field a receiver that
    /// takes it whole reads (IPv4 total length, IPv6 payload length).
    /// </summary>
    private bool IPPacketFits(int frameLength)
    {
        int ipPacketLength = IsIPv4 ? frameLength - NetworkHeaderOffset : frameLength - NetworkHeaderOffset - GsoHeaders.IPv6Length;
        return ipPacketLength <= GsoHeaders.IPMaxLength;
    }

    /// <summary>The frame's IP and TCP headers say what the context says (the layout is valid and the frame longer than the headers).</summary>
    private bool HeadersAgree(ReadOnlySpan<byte> frame)
    {
        byte protocol = IsTcp ? GsoHeaders.ProtocolTcp : GsoHeaders.ProtocolUdp;
        ReadOnlySpan<byte> ip = frame[NetworkHeaderOffset..TransportHeaderOffset];
        bool ipAgrees;
        if (IsIPv4)
        {
            ushort fragment = BinaryPrimitives.ReadUInt16BigEndian(ip[GsoHeaders.IPv4Fragment..]);
            ipAgrees = ip[0] >> 4 == 4
                && (ip[0] & 0x0F) * 4 == ip.Length
                && ip[GsoHeaders.IPv4Protocol] == protocol
                && (fragment & (GsoHeaders.IPv4MoreFragments | GsoHeaders.IPv4FragmentOffsetMask)) == 0;
        }
        else
        {
            ipAgrees = ip[0] >> 4 == 6
                && (ip.Length != GsoHeaders.IPv6Length || ip[GsoHeaders.IPv6NextHeader] == protocol);
        }

        return ipAgrees
            && (!IsTcp || (frame[TransportHeaderOffset + GsoHeaders.TcpDataOffset] >> 4) * 4 == HeadersLength - TransportHeaderOffset);
    }

    /// <summary>How many segments a frame of <paramref name="frameLength"/> bytes is cut into.</summary>
    /// <param name="frameLength">The length of the Ethernet frame behind the context.</param>
    /// <returns>The count, or 0 when <see cref="IsValid(int)"/> is false.</returns>
    public int GetSegmentCount(int frameLength) => IsValid(frameLength) ? CountSegments(frameLength) : 0;

    /// <summary>
    /// The length of the largest segment frame the context can produce: the buffer a caller
    /// gives <see cref="GsoSegmenter.WriteSegment"/>.
    /// </summary>
    public int MaxSegmentFrameLength => SegmentHeadersLength + SegmentStride;

    /// <summary>
    /// How far apart in the super-frame consecutive segments' payloads start: the maximum segment,
    /// except for IPv4 fragments, whose offsets count in 8-byte units (RFC 791), so a maximum that
    /// is not a multiple of 8 is rounded down (the original truncates the offset instead, which
    /// reassembles wrong).
    /// </summary>
    internal int SegmentStride => Type == GsoType.IPv4Udp ? MaxSegmentSize & ~7 : MaxSegmentSize;

    /// <summary>TCP over either IP version.</summary>
    internal bool IsTcp => Type is GsoType.IPv4Tcp or GsoType.IPv6Tcp;

    /// <summary>Either protocol over IPv4.</summary>
    internal bool IsIPv4 => Type is GsoType.IPv4Tcp or GsoType.IPv4Udp;

    /// <summary>The segment count of a frame whose context is known valid up to the count check.</summary>
    internal int CountSegments(int frameLength)
    {
        int stride = SegmentStride;
        return (frameLength - SegmentHeadersLength + stride - 1) / stride;
    }
}
