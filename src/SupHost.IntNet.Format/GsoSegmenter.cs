using System.Buffers.Binary;
using SupHost.IntNet.Format.Internal;

namespace SupHost.IntNet.Format;

/// <summary>
/// Cuts a GSO super-frame into the frames a receiver that does not take GSO gets (the original's
/// <c>PDMNetGsoCarveSegment</c>), one at a time into the caller's buffer: no allocation, and the
/// super-frame is never written.
/// </summary>
/// <remarks>
/// <para>TCP (IPv4 and IPv6): every segment repeats the headers with the IP length fixed, the
/// IPv4 id advanced by the segment index and the header checksum recomputed, the sequence number
/// advanced by the payload before it, FIN and PSH on the last segment only, CWR on the first only,
/// and the TCP checksum computed over the pseudo-header.</para>
/// <para>UDP over IPv4: IP fragments of one datagram, all with the super-frame's IPv4 id, the
/// offset in 8-byte units and MF on all but the last; the first carries the UDP header with the
/// datagram's length and its checksum over the whole datagram.</para>
/// <para>UDP over IPv6: separate datagrams, each with its own UDP length and checksum.</para>
/// <para>The super-frame may lie in memory a client can write while this runs: every offset and
/// length comes from the validated context and the frame length fixed at creation, so a changed
/// byte can only change what a segment contains, never where anything is read or written.</para>
/// </remarks>
public readonly ref struct GsoSegmenter
{
    private readonly ReadOnlySpan<byte> _frame;
    private readonly GsoContext _context;

    private GsoSegmenter(GsoContext context, ReadOnlySpan<byte> frame, int segmentCount)
    {
        _context = context;
        _frame = frame;
        SegmentCount = segmentCount;
    }

    /// <summary>How many segments the frame is cut into (at least 1).</summary>
    public int SegmentCount { get; }

    /// <summary>The length of the largest segment: a buffer of this size takes any of them.</summary>
    public int MaxSegmentLength => _context.MaxSegmentFrameLength;

    /// <summary>
    /// Validates <paramref name="context"/> against <paramref name="frame"/>
    /// (<see cref="GsoContext.IsValid(ReadOnlySpan{byte})"/>) and prepares to cut it.
    /// </summary>
    /// <param name="context">The context, as a client wrote it.</param>
    /// <param name="frame">The Ethernet super-frame behind it.</param>
    /// <param name="segmenter">The segmenter, when the context is valid.</param>
    /// <returns>False for an invalid context or a frame that disagrees with it.</returns>
    public static bool TryCreate(GsoContext context, ReadOnlySpan<byte> frame, out GsoSegmenter segmenter)
    {
        if (!context.IsValid(frame))
        {
            segmenter = default;
            return false;
        }

        segmenter = new GsoSegmenter(context, frame, context.CountSegments(frame.Length));
        return true;
    }

    /// <summary>The length of segment <paramref name="index"/>, headers included.</summary>
    /// <param name="index">0 to <see cref="SegmentCount"/> − 1.</param>
    /// <returns>The segment frame's length.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
    public int GetSegmentLength(int index)
    {
        CheckIndex(index);
        return _context.SegmentHeadersLength + PayloadLength(index);
    }

    /// <summary>Writes segment <paramref name="index"/> as a complete Ethernet frame.</summary>
    /// <param name="index">0 to <see cref="SegmentCount"/> − 1.</param>
    /// <param name="destination">At least <see cref="GetSegmentLength"/> bytes (or
    /// <see cref="MaxSegmentLength"/> for any segment); nothing past the segment is written.</param>
    /// <returns>The segment frame's length.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    public int WriteSegment(int index, Span<byte> destination)
    {
        CheckIndex(index);
        int headers = _context.SegmentHeadersLength;
        int payload = PayloadLength(index);
        int length = headers + payload;
        if (destination.Length < length)
        {
            GsoThrowHelper.ThrowDestinationTooShort(destination.Length, length);
        }

        Span<byte> segment = destination[..length];
        ReadOnlySpan<byte> source = _frame.Slice(headers + (index * _context.SegmentStride), payload);
        _frame[..headers].CopyTo(segment);
        switch (_context.Type)
        {
            case GsoType.IPv4Tcp:
            case GsoType.IPv6Tcp:
                WriteTcp(segment, source, index);
                break;
            case GsoType.IPv6Udp:
                WriteUdp(segment, source);
                break;
            default:
                WriteFragment(segment, source, index);
                break;
        }

        return length;
    }

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)SegmentCount)
        {
            GsoThrowHelper.ThrowSegmentIndex(index, SegmentCount);
        }
    }

    /// <summary>The payload of a segment: a full stride, except the rest in the last one.</summary>
    private int PayloadLength(int index)
    {
        int stride = _context.SegmentStride;
        return index + 1 < SegmentCount ? stride : _frame.Length - _context.SegmentHeadersLength - (index * stride);
    }

    private void WriteTcp(Span<byte> segment, ReadOnlySpan<byte> payload, int index)
    {
        GsoContext context = _context;
        int transportLength = context.HeadersLength - context.TransportHeaderOffset + payload.Length;
        ushort pseudo = FixIPHeader(segment, transportLength, index, GsoHeaders.ProtocolTcp);

        // The sequence number moves past the payload of the segments before; FIN and PSH belong
        // to the end of the data, CWR to its first segment (as Linux's tcp_gso_segment does).
        Span<byte> tcp = segment[context.TransportHeaderOffset..context.HeadersLength];
        uint sequence = BinaryPrimitives.ReadUInt32BigEndian(tcp[GsoHeaders.TcpSequence..]);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[GsoHeaders.TcpSequence..], sequence + (uint)(index * context.MaxSegmentSize));
        if (index + 1 < SegmentCount)
        {
            tcp[GsoHeaders.TcpFlags] &= unchecked((byte)~(GsoHeaders.TcpFin | GsoHeaders.TcpPsh));
        }

        if (index > 0)
        {
            tcp[GsoHeaders.TcpFlags] &= unchecked((byte)~GsoHeaders.TcpCwr);
        }

        BinaryPrimitives.WriteUInt16BigEndian(tcp[GsoHeaders.TcpChecksum..], 0);
        ushort sum = TransportSum(tcp, payload, segment[context.HeadersLength..], pseudo);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[GsoHeaders.TcpChecksum..], Checksum.Complement(sum));
    }

    private void WriteUdp(Span<byte> segment, ReadOnlySpan<byte> payload)
    {
        GsoContext context = _context;
        int transportLength = GsoHeaders.UdpLength + payload.Length;
        ushort pseudo = FixIPHeader(segment, transportLength, 0, GsoHeaders.ProtocolUdp);
        Span<byte> udp = segment[context.TransportHeaderOffset..context.HeadersLength];
        BinaryPrimitives.WriteUInt16BigEndian(udp[GsoHeaders.UdpLengthField..], (ushort)transportLength);
        BinaryPrimitives.WriteUInt16BigEndian(udp[GsoHeaders.UdpChecksum..], 0);
        ushort sum = TransportSum(udp, payload, segment[context.HeadersLength..], pseudo);
        BinaryPrimitives.WriteUInt16BigEndian(udp[GsoHeaders.UdpChecksum..], UdpChecksumValue(sum));
    }

    private void WriteFragment(Span<byte> segment, ReadOnlySpan<byte> payload, int index)
    {
        // Fragment index carries datagram bytes [index × stride, + payload) (UDP header included).
        GsoContext context = _context;
        int offset = index * context.SegmentStride;
        payload.CopyTo(segment[context.TransportHeaderOffset..]);
        Span<byte> ip = segment[context.NetworkHeaderOffset..context.TransportHeaderOffset];
        BinaryPrimitives.WriteUInt16BigEndian(ip[GsoHeaders.IPv4TotalLength..], (ushort)(ip.Length + payload.Length));
        ushort fragment = (ushort)((offset / 8) | (index + 1 < SegmentCount ? GsoHeaders.IPv4MoreFragments : 0));
        BinaryPrimitives.WriteUInt16BigEndian(ip[GsoHeaders.IPv4Fragment..], fragment);
        Checksum.SetIPv4HeaderChecksum(ip);
        if (index != 0)
        {
            return;
        }

        // The first fragment's UDP header describes the whole datagram: everything behind the IP
        // header of the super-frame.
        int datagramLength = _frame.Length - context.TransportHeaderOffset;
        Span<byte> udp = segment.Slice(context.TransportHeaderOffset, GsoHeaders.UdpLength);
        BinaryPrimitives.WriteUInt16BigEndian(udp[GsoHeaders.UdpLengthField..], (ushort)datagramLength);
        BinaryPrimitives.WriteUInt16BigEndian(udp[GsoHeaders.UdpChecksum..], 0);
        ushort sum = Checksum.PseudoHeaderIPv4(ip, GsoHeaders.ProtocolUdp, datagramLength);
        sum = Checksum.Sum(udp, sum);
        sum = Checksum.Sum(_frame[context.HeadersLength..], sum);
        BinaryPrimitives.WriteUInt16BigEndian(udp[GsoHeaders.UdpChecksum..], UdpChecksumValue(sum));
    }

    /// <summary>
    /// Fixes the copied IP header for a segment whose transport part is
    /// <paramref name="transportLength"/> bytes and returns the pseudo-header sum.
    /// </summary>
    private ushort FixIPHeader(Span<byte> segment, int transportLength, int index, byte protocol)
    {
        GsoContext context = _context;
        Span<byte> ip = segment[context.NetworkHeaderOffset..context.TransportHeaderOffset];
        if (_context.Type is GsoType.IPv4Tcp)
        {
            ushort id = BinaryPrimitives.ReadUInt16BigEndian(ip[GsoHeaders.IPv4Id..]);
            BinaryPrimitives.WriteUInt16BigEndian(ip[GsoHeaders.IPv4TotalLength..], (ushort)(ip.Length + transportLength));
            BinaryPrimitives.WriteUInt16BigEndian(ip[GsoHeaders.IPv4Id..], (ushort)(id + index));
            Checksum.SetIPv4HeaderChecksum(ip);
            return Checksum.PseudoHeaderIPv4(ip, protocol, transportLength);
        }

        // The payload length counts the extension headers between the fixed header and TCP/UDP.
        BinaryPrimitives.WriteUInt16BigEndian(
            ip[GsoHeaders.IPv6PayloadLength..], (ushort)(ip.Length - GsoHeaders.IPv6Length + transportLength));
        return Checksum.PseudoHeaderIPv6(ip, protocol, transportLength);
    }

    /// <summary>
    /// Copies the payload behind the transport header and returns the sum of pseudo-header,
    /// transport header and payload (the payload at an odd offset when the header length is odd).
    /// </summary>
    private static ushort TransportSum(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, Span<byte> destination, ushort pseudo)
    {
        ushort sum = Checksum.Sum(header, pseudo);
        ushort payloadSum = Checksum.CopyAndSum(payload, destination);
        return Checksum.AddAtOffset(sum, payloadSum, header.Length);
    }

    /// <summary>RFC 768: a computed UDP checksum of zero is sent as all ones (zero means none).</summary>
    private static ushort UdpChecksumValue(ushort sum)
    {
        ushort value = Checksum.Complement(sum);
        return value == 0 ? (ushort)0xFFFF : value;
    }
}
