using System.Buffers.Binary;
using PacketDotNet;
using PacketDotNet.Utils;

namespace SupHost.IntNet.Format.Tests;

/// <summary>
/// Cuts a built super-frame and checks every segment with PacketDotNet and the naive checksum:
/// the expectations come from the frame's spec and RFC rules, not from the library.
/// </summary>
internal static class Segments
{
    private const byte Canary = 0xA5;
    private const int Guard = 32;

    /// <summary>
    /// All segments of a frame, each written into an exactly sized window of a larger buffer whose
    /// guard bytes must survive.
    /// </summary>
    public static List<byte[]> Cut(GsoContext context, byte[] frame)
    {
        Assert.True(GsoSegmenter.TryCreate(context, frame, out GsoSegmenter segmenter), $"{context} over {frame.Length} bytes");
        Assert.Equal(context.GetSegmentCount(frame.Length), segmenter.SegmentCount);
        var segments = new List<byte[]>(segmenter.SegmentCount);
        byte[] buffer = new byte[segmenter.MaxSegmentLength + (2 * Guard)];
        for (int i = 0; i < segmenter.SegmentCount; i++)
        {
            int length = segmenter.GetSegmentLength(i);
            Assert.InRange(length, 1, segmenter.MaxSegmentLength);
            Array.Fill(buffer, Canary);
            Assert.Equal(length, segmenter.WriteSegment(i, buffer.AsSpan(Guard, length)));
            AssertGuards(buffer, Guard, length);
            segments.Add(buffer[Guard..(Guard + length)]);
        }

        return segments;
    }

    public static void AssertGuards(byte[] buffer, int start, int length)
    {
        int before = buffer.AsSpan(0, start).IndexOfAnyExcept(Canary);
        int after = buffer.AsSpan(start + length).IndexOfAnyExcept(Canary);
        Assert.True(before < 0, $"byte {before} before the segment [{start}, {start + length}) was written");
        Assert.True(after < 0, $"byte {start + length + after} after the segment [{start}, {start + length}) was written");
    }

    public static void CheckTcp(FrameSpec spec, BuiltFrame built, List<byte[]> segments)
    {
        int mss = spec.MaxSegment;
        Assert.Equal((spec.PayloadLength + mss - 1) / mss, segments.Count);
        var payload = new List<byte>(spec.PayloadLength);
        for (int i = 0; i < segments.Count; i++)
        {
            byte[] segment = segments[i];
            bool first = i == 0;
            bool last = i == segments.Count - 1;
            int expectedPayload = Math.Min(mss, spec.PayloadLength - (i * mss));
            Assert.Equal(built.HeadersLength + expectedPayload, segment.Length);
            Assert.Equal(built.Frame[..14], segment[..14]);
            Packet packet = Packet.ParsePacket(LinkLayers.Ethernet, segment);
            CheckIP(spec, built, segment, packet, i);
            TcpPacket tcp = packet.Extract<TcpPacket>();
            Assert.NotNull(tcp);

            // Sequence numbers continue over the payload before; ports, acknowledgement, window and
            // urgent pointer are the super-frame's.
            Assert.Equal(unchecked(spec.Sequence + (uint)(i * mss)), tcp.SequenceNumber);
            Assert.Equal(40_000, tcp.SourcePort);
            Assert.Equal(5_001, tcp.DestinationPort);
            Assert.Equal(0xA5A5_0001u, tcp.AcknowledgmentNumber);
            Assert.Equal(0xFAF0, tcp.WindowSize);
            Assert.Equal(0x0102, tcp.UrgentPointer);
            Assert.Equal(built.HeadersLength - built.TransportOffset, tcp.DataOffset * 4);

            // FIN and PSH end the data, CWR starts it; every other flag stays.
            byte expectedFlags = spec.TcpFlags;
            if (!last)
            {
                expectedFlags &= unchecked((byte)~(TestFrames.Fin | TestFrames.Psh));
            }

            if (!first)
            {
                expectedFlags &= unchecked((byte)~TestFrames.Cwr);
            }

            Assert.Equal(expectedFlags, segment[built.TransportOffset + 13]);
            Assert.Equal(last && (spec.TcpFlags & TestFrames.Fin) != 0, tcp.Finished);
            Assert.Equal(first && (spec.TcpFlags & TestFrames.Cwr) != 0, tcp.CongestionWindowReduced);
            Assert.True(tcp.ValidChecksum, $"segment {i}: TCP checksum");
            Assert.Equal(0xFFFF, NaiveChecksum.PseudoAndTransport(built.Source, built.Destination, 6, segment.AsSpan(built.TransportOffset)));
            Assert.Equal(expectedPayload, tcp.PayloadData.Length);
            payload.AddRange(tcp.PayloadData);
        }

        Assert.True(built.Payload.AsSpan().SequenceEqual(payload.ToArray()), "the segments' payloads concatenate to the original");
    }

    public static void CheckUdpIPv6(FrameSpec spec, BuiltFrame built, List<byte[]> segments)
    {
        int mss = spec.MaxSegment;
        Assert.Equal((spec.PayloadLength + mss - 1) / mss, segments.Count);
        var payload = new List<byte>(spec.PayloadLength);
        for (int i = 0; i < segments.Count; i++)
        {
            byte[] segment = segments[i];
            int expectedPayload = Math.Min(mss, spec.PayloadLength - (i * mss));
            Assert.Equal(built.HeadersLength + expectedPayload, segment.Length);
            Packet packet = Packet.ParsePacket(LinkLayers.Ethernet, segment);
            CheckIP(spec, built, segment, packet, i);
            UdpPacket udp = packet.Extract<UdpPacket>();
            Assert.NotNull(udp);
            Assert.Equal(8 + expectedPayload, (ushort)udp.Length); // PacketDotNet reads the field as signed
            Assert.Equal(40_000, udp.SourcePort);
            Assert.Equal(5_001, udp.DestinationPort);
            Assert.True(udp.ValidChecksum, $"segment {i}: UDP checksum");
            Assert.NotEqual(0, udp.Checksum);
            Assert.Equal(0xFFFF, NaiveChecksum.PseudoAndTransport(built.Source, built.Destination, 17, segment.AsSpan(built.TransportOffset)));
            payload.AddRange(udp.PayloadData);
        }

        Assert.True(built.Payload.AsSpan().SequenceEqual(payload.ToArray()), "the datagrams' payloads concatenate to the original");
    }

    /// <summary>
    /// IPv4 fragments of one datagram (RFC 791): same id, offsets in 8-byte units that follow each
    /// other, MF on all but the last, valid header checksums; reassembled, the datagram has the
    /// UDP length of the whole and a checksum PacketDotNet accepts on an unfragmented copy.
    /// </summary>
    public static void CheckUdpIPv4(FrameSpec spec, BuiltFrame built, List<byte[]> segments)
    {
        int stride = spec.MaxSegment / 8 * 8;
        int datagramLength = 8 + spec.PayloadLength;
        Assert.Equal((datagramLength + stride - 1) / stride, segments.Count);
        var datagram = new List<byte>(datagramLength);
        int ipLength = built.TransportOffset - built.NetworkOffset;
        for (int i = 0; i < segments.Count; i++)
        {
            byte[] segment = segments[i];
            bool last = i == segments.Count - 1;
            int expectedData = Math.Min(stride, datagramLength - (i * stride));
            Assert.Equal(built.TransportOffset + expectedData, segment.Length);
            Assert.Equal(built.Frame[..14], segment[..14]);

            // Parse the IP header alone: a later fragment carries no UDP header to parse.
            var ip = new IPv4Packet(new ByteArraySegment(segment, built.NetworkOffset, segment.Length - built.NetworkOffset));
            Assert.Equal(segment.Length - built.NetworkOffset, ip.TotalLength);
            Assert.Equal(ipLength, ip.HeaderLength * 4);
            Assert.Equal(spec.IPv4Id, ip.Id);
            Assert.Equal(ProtocolType.Udp, ip.Protocol);
            Assert.True(ip.ValidIPChecksum, $"fragment {i}: IP checksum");
            Assert.True(NaiveChecksum.IPv4HeaderValid(segment.AsSpan(built.NetworkOffset, ipLength)));
            ushort fragment = BinaryPrimitives.ReadUInt16BigEndian(segment.AsSpan(built.NetworkOffset + 6));
            Assert.Equal(i * stride, (fragment & 0x1FFF) * 8);
            Assert.Equal(i * stride / 8, ip.FragmentOffset);
            Assert.Equal(!last, (fragment & 0x2000) != 0);
            Assert.Equal(0, fragment & 0x4000); // a fragment cannot say "don't fragment"
            datagram.AddRange(segment.AsSpan(built.TransportOffset).ToArray());
        }

        byte[] whole = [.. datagram];
        Assert.Equal(datagramLength, whole.Length);
        Assert.Equal(datagramLength, BinaryPrimitives.ReadUInt16BigEndian(whole.AsSpan(4)));
        Assert.Equal(built.Frame.AsSpan(built.TransportOffset, 4).ToArray(), whole[..4]);
        Assert.True(built.Payload.AsSpan().SequenceEqual(whole.AsSpan(8)), "the reassembled datagram carries the original payload");
        Assert.NotEqual(0, BinaryPrimitives.ReadUInt16BigEndian(whole.AsSpan(6)));
        Assert.Equal(0xFFFF, NaiveChecksum.PseudoAndTransport(built.Source, built.Destination, 17, whole));

        // The same datagram unfragmented, for PacketDotNet's own checksum check.
        byte[] single = new byte[14 + 20 + whole.Length];
        built.Frame.AsSpan(0, 14).CopyTo(single);
        single[14] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(single.AsSpan(16), (ushort)Math.Min(65_535, 20 + whole.Length));
        single[22] = 64;
        single[23] = 17;
        built.Source.CopyTo(single, 26);
        built.Destination.CopyTo(single, 30);
        whole.CopyTo(single, 34);
        if (20 + whole.Length <= 65_535)
        {
            UdpPacket udp = Packet.ParsePacket(LinkLayers.Ethernet, single).Extract<UdpPacket>();
            Assert.True(udp.ValidUdpChecksum, "reassembled datagram: UDP checksum");
        }
    }

    private static void CheckIP(FrameSpec spec, BuiltFrame built, byte[] segment, Packet packet, int index)
    {
        if (spec.IPv6)
        {
            IPv6Packet ip = packet.Extract<IPv6Packet>();
            Assert.NotNull(ip);
            Assert.Equal(segment.Length - built.NetworkOffset - 40, ip.PayloadLength);
            Assert.Equal(built.Frame.AsSpan(built.NetworkOffset, 4).ToArray(), segment[built.NetworkOffset..(built.NetworkOffset + 4)]);
            Assert.Equal(built.Frame[(built.NetworkOffset + 6)..built.TransportOffset], segment[(built.NetworkOffset + 6)..built.TransportOffset]);
        }
        else
        {
            IPv4Packet ip = packet.Extract<IPv4Packet>();
            Assert.NotNull(ip);
            Assert.Equal(segment.Length - built.NetworkOffset, ip.TotalLength);
            Assert.Equal(unchecked((ushort)(spec.IPv4Id + index)), ip.Id);
            Assert.True(ip.ValidIPChecksum, $"segment {index}: IP checksum");
            Assert.True(NaiveChecksum.IPv4HeaderValid(segment.AsSpan(built.NetworkOffset, built.TransportOffset - built.NetworkOffset)));

            // Flags and fragment offset (DF stays), TTL, protocol, addresses and options unchanged.
            Assert.Equal(built.Frame[(built.NetworkOffset + 6)..(built.NetworkOffset + 10)], segment[(built.NetworkOffset + 6)..(built.NetworkOffset + 10)]);
            Assert.Equal(built.Frame[(built.NetworkOffset + 12)..built.TransportOffset], segment[(built.NetworkOffset + 12)..built.TransportOffset]);
        }
    }
}
