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

    /// <summary>
    /// Sums of what every segment shares, taken once per super-frame (RFC 1624's incremental
    /// update): the IP header without the fields a segment rewrites, the pseudo-header without
    /// its length, the TCP/UDP header without the fields a segment rewrites.
    /// </summary>
    private readonly ushort _ipSum;
    private readonly ushort _pseudoSum;
    private readonly ushort _transportSum;

    private GsoSegmenter(GsoContext context, ReadOnlySpan<byte> frame, int segmentCount)
    {
        _context = context;
        _frame = frame;
        SegmentCount = segmentCount;

        // IPv4: total length, identification and checksum are per segment (fragments: total
        // length, flags and offset, checksum). TCP: sequence number, data offset and flags,
        // checksum. UDP: length and checksum. Everything else is summed here, once.
        ReadOnlySpan<byte> ip = frame[context.NetworkHeaderOffset..context.TransportHeaderOffset];
        ReadOnlySpan<byte> transport = frame[context.TransportHeaderOffset..context.HeadersLength];
        byte protocol = context.IsTcp ? GsoHeaders.ProtocolTcp : GsoHeaders.ProtocolUdp;
        if (context.IsIPv4)
        {
            int perSegment = context.Type == GsoType.IPv4Udp ? GsoHeaders.IPv4Fragment : GsoHeaders.IPv4Id;
            _ipSum = SumWithout(ip, GsoHeaders.IPv4TotalLength, perSegment, GsoHeaders.IPv4Checksum);
            _pseudoSum = Checksum.PseudoHeaderIPv4(ip, protocol, 0);
        }
        else
        {
            _pseudoSum = Checksum.PseudoHeaderIPv6(ip, protocol, 0);
        }

        _transportSum = context.IsTcp
            ? SumWithout(transport, GsoHeaders.TcpSequence, GsoHeaders.TcpSequence + 2, GsoHeaders.TcpDataOffset, GsoHeaders.TcpChecksum)
            : SumWithout(transport, GsoHeaders.UdpLengthField, GsoHeaders.UdpChecksum);
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
        ushort sum = FixIPHeader(segment, transportLength, index);

        // The sequence number moves past the payload of the segments before; FIN and PSH belong
        // to the end of the data, CWR to its first segment (as Linux's tcp_gso_segment does).
        Span<byte> tcp = segment[context.TransportHeaderOffset..context.HeadersLength];
        uint sequence = BinaryPrimitives.ReadUInt32BigEndian(tcp[GsoHeaders.TcpSequence..]) + (uint)(index * context.MaxSegmentSize);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[GsoHeaders.TcpSequence..], sequence);
        byte flags = tcp[GsoHeaders.TcpFlags];
        if (index + 1 < SegmentCount)
        {
            flags &= unchecked((byte)~(GsoHeaders.TcpFin | GsoHeaders.TcpPsh));
        }

        if (index > 0)
        {
            flags &= unchecked((byte)~GsoHeaders.TcpCwr);
        }

        tcp[GsoHeaders.TcpFlags] = flags;

        // Pseudo-header, the shared part of the header, the rewritten words, the payload copied
        // and summed in one pass (behind a header whose length is a multiple of 4).
        sum = Checksum.Add(sum, _transportSum);
        sum = Checksum.Add(sum, (ushort)(sequence >> 16));
        sum = Checksum.Add(sum, (ushort)sequence);
        sum = Checksum.Add(sum, (ushort)((tcp[GsoHeaders.TcpDataOffset] << 8) | flags));
        sum = Checksum.CopyAndSum(payload, segment[context.HeadersLength..], sum);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[GsoHeaders.TcpChecksum..], Checksum.Complement(sum));
    }

    private void WriteUdp(Span<byte> segment, ReadOnlySpan<byte> payload)
    {
        GsoContext context = _context;
        int transportLength = GsoHeaders.UdpLength + payload.Length;
        ushort sum = FixIPHeader(segment, transportLength, 0);
        Span<byte> udp = segment[context.TransportHeaderOffset..context.HeadersLength];
        BinaryPrimitives.WriteUInt16BigEndian(udp[GsoHeaders.UdpLengthField..], (ushort)transportLength);
        sum = Checksum.Add(sum, _transportSum);
        sum = Checksum.Add(sum, (ushort)transportLength);
        sum = Checksum.CopyAndSum(payload, segment[context.HeadersLength..], sum);
        BinaryPrimitives.WriteUInt16BigEndian(udp[GsoHeaders.UdpChecksum..], UdpChecksumValue(sum));
    }

    private void WriteFragment(Span<byte> segment, ReadOnlySpan<byte> payload, int index)
    {
        // Fragment index carries datagram bytes [index × stride, + payload) (UDP header included).
        GsoContext context = _context;
        int offset = index * context.SegmentStride;
        payload.CopyTo(segment[context.TransportHeaderOffset..]);
        Span<byte> ip = segment[context.NetworkHeaderOffset..context.TransportHeaderOffset];
        ushort totalLength = (ushort)(ip.Length + payload.Length);
        ushort fragment = (ushort)((offset / 8) | (index + 1 < SegmentCount ? GsoHeaders.IPv4MoreFragments : 0));
        BinaryPrimitives.WriteUInt16BigEndian(ip[GsoHeaders.IPv4TotalLength..], totalLength);
        BinaryPrimitives.WriteUInt16BigEndian(ip[GsoHeaders.IPv4Fragment..], fragment);
        ushort ipSum = Checksum.Add(Checksum.Add(_ipSum, totalLength), fragment);
        BinaryPrimitives.WriteUInt16BigEndian(ip[GsoHeaders.IPv4Checksum..], Checksum.Complement(ipSum));
        if (index != 0)
        {
            return;
        }

        // The first fragment's UDP header describes the whole datagram: everything behind the IP
        // header of the super-frame.
        ushort datagramLength = (ushort)(_frame.Length - context.TransportHeaderOffset);
        Span<byte> udp = segment.Slice(context.TransportHeaderOffset, GsoHeaders.UdpLength);
        BinaryPrimitives.WriteUInt16BigEndian(udp[GsoHeaders.UdpLengthField..], datagramLength);
        ushort sum = Checksum.Add(_pseudoSum, datagramLength);
        sum = Checksum.Add(sum, _transportSum);
        sum = Checksum.Add(sum, datagramLength);
        sum = Checksum.Sum(_frame[context.HeadersLength..], sum);
        BinaryPrimitives.WriteUInt16BigEndian(udp[GsoHeaders.UdpChecksum..], UdpChecksumValue(sum));
    }

    /// <summary>
    /// Fixes the copied IP header for a segment whose transport part is
    /// <paramref name="transportLength"/> bytes and returns the pseudo-header sum.
    /// </summary>
    private ushort FixIPHeader(Span<byte> segment, int transportLength, int index)
    {
        GsoContext context = _context;
        Span<byte> ip = segment[context.NetworkHeaderOffset..context.TransportHeaderOffset];
        if (context.IsIPv4)
        {
            ushort totalLength = (ushort)(ip.Length + transportLength);
            ushort id = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(ip[GsoHeaders.IPv4Id..]) + index);
            BinaryPrimitives.WriteUInt16BigEndian(ip[GsoHeaders.IPv4TotalLength..], totalLength);
            BinaryPrimitives.WriteUInt16BigEndian(ip[GsoHeaders.IPv4Id..], id);
            ushort ipSum = Checksum.Add(Checksum.Add(_ipSum, totalLength), id);
            BinaryPrimitives.WriteUInt16BigEndian(ip[GsoHeaders.IPv4Checksum..], Checksum.Complement(ipSum));
            return Checksum.Add(_pseudoSum, (ushort)transportLength);
        }

        // The payload length counts the extension headers between the fixed header and TCP/UDP;
        // the IPv6 pseudo-header's length is 32 bits (at most 65,535 here).
        BinaryPrimitives.WriteUInt16BigEndian(
            ip[GsoHeaders.IPv6PayloadLength..], (ushort)(ip.Length - GsoHeaders.IPv6Length + transportLength));
        return Checksum.Add(_pseudoSum, (ushort)transportLength);
    }

    /// <summary>The sum of a header of at most 60 bytes with the 16-bit fields at the given offsets as zero.</summary>
    private static ushort SumWithout(ReadOnlySpan<byte> header, int field1, int field2, int field3 = -1, int field4 = -1)
    {
        Span<byte> copy = stackalloc byte[GsoHeaders.IPv4MaxLength];
        copy = copy[..header.Length];
        header.CopyTo(copy);
        foreach (int field in (ReadOnlySpan<int>)[field1, field2, field3, field4])
        {
            if (field >= 0)
            {
                BinaryPrimitives.WriteUInt16BigEndian(copy[field..], 0);
            }
        }

        return Checksum.Sum(copy);
    }

    /// <summary>RFC 768: a computed UDP checksum of zero is sent as all ones (zero means none).</summary>
    private static ushort UdpChecksumValue(ushort sum)
    {
        ushort value = Checksum.Complement(sum);
        return value == 0 ? (ushort)0xFFFF : value;
    }
}
