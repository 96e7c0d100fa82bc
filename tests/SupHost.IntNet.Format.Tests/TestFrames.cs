using System.Buffers.Binary;

namespace SupHost.IntNet.Format.Tests;

/// <summary>
/// Builds Ethernet super-frames byte by byte from RFC layouts, without the library: the
/// input of the segmentation tests. Header checksums and lengths of the super-frame are left
/// as a sender leaves them (the IP length of the whole, checksums zero), since segmentation
/// must not depend on them.
/// </summary>
internal static class TestFrames
{
    public const byte Fin = 0x01;
    public const byte Syn = 0x02;
    public const byte Psh = 0x08;
    public const byte Ack = 0x10;
    public const byte Urg = 0x20;
    public const byte Ece = 0x40;
    public const byte Cwr = 0x80;

    public static readonly byte[] SourceMac = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
    public static readonly byte[] DestinationMac = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];

    /// <summary>The largest payload a frame of this shape can carry within one IP packet.</summary>
    public static int MaxPayload(bool ipv6, bool tcp, int tcpOptionWords = 0, int ipv4OptionWords = 0, bool hopByHop = false)
    {
        int transport = tcp ? 20 + (tcpOptionWords * 4) : 8;
        return ipv6 ? 65_535 - transport - (hopByHop ? 8 : 0) : 65_535 - 20 - (ipv4OptionWords * 4) - transport;
    }

    public static BuiltFrame Build(FrameSpec spec)
    {
        var random = new Random(spec.Seed);
        int network = 14;
        int ipLength = spec.IPv6 ? 40 + (spec.IPv6HopByHop ? 8 : 0) : 20 + (spec.IPv4OptionWords * 4);
        int transport = network + ipLength;
        int transportLength = spec.Tcp ? 20 + (spec.TcpOptionWords * 4) : 8;
        int headers = transport + transportLength;
        byte[] payload = new byte[spec.PayloadLength];
        random.NextBytes(payload);
        byte[] frame = new byte[headers + payload.Length];
        payload.CopyTo(frame, headers);

        // Ethernet.
        DestinationMac.CopyTo(frame, 0);
        SourceMac.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), spec.IPv6 ? (ushort)0x86DD : (ushort)0x0800);

        // IP.
        byte protocol = spec.Tcp ? (byte)6 : (byte)17;
        Span<byte> ip = frame.AsSpan(network, ipLength);
        if (spec.IPv6)
        {
            ip[0] = 0x60;
            ip[1] = 0x0A; // traffic class and flow label bits a segment must keep
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)Math.Min(65_535, frame.Length - network - 40));
            ip[6] = spec.IPv6HopByHop ? (byte)0 : protocol;
            ip[7] = 64;
            random.NextBytes(ip.Slice(8, 32));
            if (spec.IPv6HopByHop)
            {
                // Hop-by-hop options: next header, length 0 (8 bytes), one PadN option of 4 bytes.
                ip[40] = protocol;
                ip[41] = 0;
                ip[42] = 1;
                ip[43] = 4;
            }
        }
        else
        {
            ip[0] = (byte)(0x40 | (ipLength / 4));
            ip[1] = 0x28;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)Math.Min(65_535, frame.Length - network));
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], spec.IPv4Id);
            BinaryPrimitives.WriteUInt16BigEndian(ip[6..], spec.Tcp ? (ushort)0x4000 : (ushort)0); // DF for TCP
            ip[8] = 64;
            ip[9] = protocol;
            random.NextBytes(ip.Slice(12, 8));
            for (int i = 20; i < ipLength; i++)
            {
                ip[i] = 1; // NOP options
            }
        }

        // TCP or UDP.
        Span<byte> l4 = frame.AsSpan(transport, transportLength);
        BinaryPrimitives.WriteUInt16BigEndian(l4, 40_000);
        BinaryPrimitives.WriteUInt16BigEndian(l4[2..], 5_001);
        if (spec.Tcp)
        {
            BinaryPrimitives.WriteUInt32BigEndian(l4[4..], spec.Sequence);
            BinaryPrimitives.WriteUInt32BigEndian(l4[8..], 0xA5A5_0001);
            l4[12] = (byte)((transportLength / 4) << 4);
            l4[13] = spec.TcpFlags;
            BinaryPrimitives.WriteUInt16BigEndian(l4[14..], 0xFAF0);
            BinaryPrimitives.WriteUInt16BigEndian(l4[18..], 0x0102);
            for (int i = 20; i < transportLength; i++)
            {
                l4[i] = 1; // NOP options
            }
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(l4[4..], (ushort)Math.Min(65_535, frame.Length - transport));
        }

        GsoType type = (spec.IPv6, spec.Tcp) switch
        {
            (false, true) => GsoType.IPv4Tcp,
            (true, true) => GsoType.IPv6Tcp,
            (false, false) => GsoType.IPv4Udp,
            _ => GsoType.IPv6Udp,
        };
        byte segmentHeaders = type == GsoType.IPv4Udp ? (byte)transport : (byte)headers;
        var context = new GsoContext(type, (byte)headers, (ushort)spec.MaxSegment, (byte)network, (byte)transport, segmentHeaders);
        return new BuiltFrame(frame, context, network, transport, headers, payload);
    }
}
