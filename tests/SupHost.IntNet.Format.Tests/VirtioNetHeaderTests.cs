using System.Buffers.Binary;
using CsCheck;
using PacketDotNet;

namespace SupHost.IntNet.Format.Tests;

/// <summary>
/// virtio_net_hdr (include/uapi/linux/virtio_net.h): its layout, the conversions both ways
/// between it and a GSO context, and hostile headers from a TAP or a packet socket.
/// </summary>
public sealed class VirtioNetHeaderTests
{
    [Fact]
    public void Fields_sit_at_their_offsets_little_endian()
    {
        VirtioNetHeader header = VirtioNetHeader.Read([0x01, 0x81, 0x42, 0x00, 0xA8, 0x05, 0x22, 0x00, 0x10, 0x00, 0xEE]);
        Assert.Equal(VirtioNetHeaderFlags.NeedsChecksum, header.Flags);
        Assert.Equal(VirtioNetHeaderGsoType.TcpV4 | VirtioNetHeaderGsoType.Ecn, header.GsoType);
        Assert.Equal(0x42, header.HeaderLength);
        Assert.Equal(1448, header.GsoSize);
        Assert.Equal(34, header.ChecksumStart);
        Assert.Equal(16, header.ChecksumOffset);

        byte[] written = new byte[11];
        written[10] = 0xEE;
        header.Write(written);
        Assert.Equal([0x01, 0x81, 0x42, 0x00, 0xA8, 0x05, 0x22, 0x00, 0x10, 0x00, 0xEE], written);
        Assert.Equal(10, VirtioNetHeader.Size);
        Assert.Throws<ArgumentException>(() => VirtioNetHeader.Read(new byte[9]));
        Assert.Throws<ArgumentException>(() => header.Write(new byte[9]));
    }

    [Fact]
    public void The_constants_are_the_kernels()
    {
        // VIRTIO_NET_HDR_F_* and VIRTIO_NET_HDR_GSO_* as include/uapi/linux/virtio_net.h has them.
        Assert.Equal(1, (int)VirtioNetHeaderFlags.NeedsChecksum);
        Assert.Equal(2, (int)VirtioNetHeaderFlags.DataValid);
        Assert.Equal(0, (int)VirtioNetHeaderGsoType.None);
        Assert.Equal(1, (int)VirtioNetHeaderGsoType.TcpV4);
        Assert.Equal(3, (int)VirtioNetHeaderGsoType.Udp);
        Assert.Equal(4, (int)VirtioNetHeaderGsoType.TcpV6);
        Assert.Equal(5, (int)VirtioNetHeaderGsoType.UdpL4);
        Assert.Equal(0x80, (int)VirtioNetHeaderGsoType.Ecn);
    }

    [Theory]
    [InlineData(false, true, 1448, VirtioNetHeaderGsoType.TcpV4, 16)]
    [InlineData(true, true, 1440, VirtioNetHeaderGsoType.TcpV6, 16)]
    [InlineData(false, false, 1480, VirtioNetHeaderGsoType.Udp, 6)]
    [InlineData(true, false, 1232, VirtioNetHeaderGsoType.UdpL4, 6)]
    public void A_GSO_frame_goes_to_virtio_and_back_unchanged(bool ipv6, bool tcp, int mss, VirtioNetHeaderGsoType expectedType, int checksumOffset)
    {
        var spec = new FrameSpec(ipv6, tcp, 20_000, mss, TcpOptionWords: 3);
        BuiltFrame built = TestFrames.Build(spec);
        byte[] frame = [.. built.Frame];

        // To a TAP: the header, and the frame ready for the kernel to segment.
        Assert.True(VirtioNetHeader.TryFromGso(built.Context, frame, out VirtioNetHeader header));
        Assert.Equal(new VirtioNetHeader(VirtioNetHeaderFlags.NeedsChecksum, expectedType, (ushort)built.HeadersLength, (ushort)mss, (ushort)built.TransportOffset, (ushort)checksumOffset), header);
        CheckReadyForTheKernel(spec, built, frame, header);

        // Back from a TAP: the same context.
        Assert.Equal(VirtioNetHeaderConversion.Gso, header.ToGso(frame, out GsoContext context));
        Assert.Equal(built.Context, context);
    }

    [Fact]
    public void GSO_frames_of_any_shape_round_trip_through_virtio()
    {
        Gen.Select(Gen.Int[0, 3], Gen.Int[1, 20_000], Gen.Int[1, 9_000], Gen.Int[0, 10], Gen.Int)
            .Sample(
                (shape, payload, mss, options, seed) =>
                {
                    bool ipv6 = (shape & 1) != 0;
                    bool tcp = shape < 2;
                    int segment = tcp || ipv6 ? mss : mss / 8 * 8;
                    var spec = new FrameSpec(ipv6, tcp, Math.Max(payload, segment), Math.Max(8, segment), tcp ? options : 0, ipv6 ? 0 : options, Seed: seed, TcpFlags: (byte)seed);
                    BuiltFrame built = TestFrames.Build(spec);
                    byte[] frame = [.. built.Frame];
                    Assert.True(VirtioNetHeader.TryFromGso(built.Context, frame, out VirtioNetHeader header), spec.ToString());
                    CheckReadyForTheKernel(spec, built, frame, header);
                    Assert.Equal(VirtioNetHeaderConversion.Gso, header.ToGso(frame, out GsoContext context));
                    Assert.Equal(built.Context, context);

                    // What came back segments like the original.
                    Assert.True(GsoSegmenter.TryCreate(context, frame, out GsoSegmenter segmenter));
                    Assert.Equal(built.Context.GetSegmentCount(built.Frame.Length), segmenter.SegmentCount);
                },
                iter: 300,
                print: t => t.ToString());
    }

    [Fact]
    public void The_ECN_bit_follows_CWR_and_is_refused_for_UDP()
    {
        BuiltFrame built = TestFrames.Build(new FrameSpec(IPv6: false, Tcp: true, 5_000, 1448, TcpFlags: TestFrames.Ack | TestFrames.Cwr));
        byte[] frame = [.. built.Frame];
        Assert.True(VirtioNetHeader.TryFromGso(built.Context, frame, out VirtioNetHeader header));
        Assert.Equal(VirtioNetHeaderGsoType.TcpV4 | VirtioNetHeaderGsoType.Ecn, header.GsoType);
        Assert.Equal(VirtioNetHeaderConversion.Gso, header.ToGso(frame, out _));

        BuiltFrame udp = TestFrames.Build(new FrameSpec(IPv6: false, Tcp: false, 5_000, 1480));
        byte[] udpFrame = [.. udp.Frame];
        Assert.True(VirtioNetHeader.TryFromGso(udp.Context, udpFrame, out VirtioNetHeader udpHeader));
        Assert.Equal(VirtioNetHeaderConversion.Invalid, (udpHeader with { GsoType = VirtioNetHeaderGsoType.Udp | VirtioNetHeaderGsoType.Ecn }).ToGso(udpFrame, out _));
    }

    [Fact]
    public void Header_lengths_are_taken_from_the_headers_not_from_hdr_len()
    {
        // Linux puts the linear part of its buffer in hdr_len (virtio_net_hdr_from_skb), which can
        // reach into the payload: the context must come from the TCP data offset instead.
        BuiltFrame built = TestFrames.Build(new FrameSpec(IPv6: false, Tcp: true, 30_000, 1448, TcpOptionWords: 3));
        var header = new VirtioNetHeader(VirtioNetHeaderFlags.NeedsChecksum, VirtioNetHeaderGsoType.TcpV4, 256, 1448, 34, 16);
        Assert.Equal(VirtioNetHeaderConversion.Gso, header.ToGso(built.Frame, out GsoContext context));
        Assert.Equal(built.Context, context);

        // A hint longer than the frame is refused, as Linux's tun refuses it.
        Assert.Equal(VirtioNetHeaderConversion.Invalid, (header with { HeaderLength = (ushort)(built.Frame.Length + 1) }).ToGso(built.Frame, out _));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_GSO_frame_without_a_pending_checksum_finds_its_transport_header_behind_the_IP_header(bool ipv6)
    {
        BuiltFrame built = TestFrames.Build(new FrameSpec(ipv6, Tcp: true, 10_000, 1448, IPv4OptionWords: ipv6 ? 0 : 2));
        var header = new VirtioNetHeader(VirtioNetHeaderFlags.None, ipv6 ? VirtioNetHeaderGsoType.TcpV6 : VirtioNetHeaderGsoType.TcpV4, 0, 1448, 0, 0);
        Assert.Equal(VirtioNetHeaderConversion.Gso, header.ToGso(built.Frame, out GsoContext context));
        Assert.Equal(built.Context, context);
    }

    [Fact]
    public void A_GSO_frame_behind_a_VLAN_tag_keeps_its_tag_in_every_segment()
    {
        BuiltFrame untagged = TestFrames.Build(new FrameSpec(IPv6: false, Tcp: true, 4_000, 1448));
        byte[] frame = [.. untagged.Frame[..12], 0x81, 0x00, 0x00, 0x07, .. untagged.Frame[12..]];
        var header = new VirtioNetHeader(VirtioNetHeaderFlags.NeedsChecksum, VirtioNetHeaderGsoType.TcpV4, 0, 1448, 38, 16);
        Assert.Equal(VirtioNetHeaderConversion.Gso, header.ToGso(frame, out GsoContext context));
        Assert.Equal(18, context.NetworkHeaderOffset);
        Assert.Equal(38, context.TransportHeaderOffset);
        Assert.True(GsoSegmenter.TryCreate(context, frame, out GsoSegmenter segmenter));
        Assert.Equal(3, segmenter.SegmentCount);
        byte[] segment = new byte[segmenter.MaxSegmentLength];
        for (int i = 0; i < segmenter.SegmentCount; i++)
        {
            int length = segmenter.WriteSegment(i, segment);
            Assert.Equal(frame[..18], segment[..18]);
            Assert.Equal(0xFFFF, NaiveChecksum.PseudoAndTransport(untagged.Source, untagged.Destination, 6, segment.AsSpan(38, length - 38)));
        }
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(true, false)]
    public void An_ordinary_frame_that_needs_its_checksum_gets_a_correct_one(bool ipv6, bool tcp)
    {
        (byte[] frame, VirtioNetHeader header, BuiltFrame built) = PartialChecksumFrame(ipv6, tcp, 700);
        Assert.Equal(VirtioNetHeaderConversion.Plain, header.ToGso(frame, out GsoContext context));
        Assert.Equal(default, context);
        CheckComplete(ipv6, tcp, built, frame);
    }

    [Theory]
    [InlineData(false, true, 1448, 1447)]
    [InlineData(true, true, 1448, 100)]
    [InlineData(false, false, 1480, 1471)]
    [InlineData(true, false, 1448, 1)]
    public void A_GSO_frame_shorter_than_one_segment_is_an_ordinary_frame_with_its_checksum_completed(bool ipv6, bool tcp, int gsoSize, int payload)
    {
        (byte[] frame, VirtioNetHeader header, BuiltFrame built) = PartialChecksumFrame(ipv6, tcp, payload);
        VirtioNetHeaderGsoType type = (ipv6, tcp) switch
        {
            (false, true) => VirtioNetHeaderGsoType.TcpV4,
            (true, true) => VirtioNetHeaderGsoType.TcpV6,
            (false, false) => VirtioNetHeaderGsoType.Udp,
            _ => VirtioNetHeaderGsoType.UdpL4,
        };
        Assert.Equal(VirtioNetHeaderConversion.Plain, (header with { GsoType = type, GsoSize = (ushort)gsoSize }).ToGso(frame, out _));
        CheckComplete(ipv6, tcp, built, frame);
    }

    [Theory]
    [InlineData(VirtioNetHeaderGsoType.Udp, true)]
    [InlineData(VirtioNetHeaderGsoType.UdpL4, false)]
    public void UDP_kinds_IntNet_has_no_context_for_are_unsupported(VirtioNetHeaderGsoType type, bool ipv6)
    {
        BuiltFrame built = TestFrames.Build(new FrameSpec(ipv6, Tcp: false, 10_000, 1232));
        var header = new VirtioNetHeader(VirtioNetHeaderFlags.NeedsChecksum, type, 0, 1232, (ushort)built.TransportOffset, 6);
        Assert.Equal(VirtioNetHeaderConversion.Unsupported, header.ToGso(built.Frame, out _));
    }

    [Theory]
    [InlineData(VirtioNetHeaderGsoType.TcpV6, 34, 16, 1448)] // a TCPv6 type over an IPv4 frame
    [InlineData(VirtioNetHeaderGsoType.TcpV4, 34, 6, 1448)] // the UDP checksum field for TCP
    [InlineData(VirtioNetHeaderGsoType.TcpV4, 30, 16, 1448)] // the transport header inside the IP header
    [InlineData(VirtioNetHeaderGsoType.TcpV4, 38, 16, 1448)] // the transport header behind where it is
    [InlineData(VirtioNetHeaderGsoType.TcpV4, 34, 16, 0)] // no segment size
    [InlineData((VirtioNetHeaderGsoType)2, 34, 16, 1448)] // an unknown type
    [InlineData((VirtioNetHeaderGsoType)0x7F, 34, 16, 1448)] // an unknown type
    [InlineData(VirtioNetHeaderGsoType.Ecn, 34, 16, 1448)] // ECN without a type
    [InlineData(VirtioNetHeaderGsoType.TcpV4, 60_000, 16, 1448)] // the transport header past the frame
    [InlineData(VirtioNetHeaderGsoType.TcpV4, 250, 16, 1448)] // headers past what a context can hold
    public void Headers_that_disagree_with_the_frame_are_invalid(VirtioNetHeaderGsoType type, int checksumStart, int checksumOffset, int gsoSize)
    {
        BuiltFrame built = TestFrames.Build(new FrameSpec(IPv6: false, Tcp: true, 10_000, 1448));
        var header = new VirtioNetHeader(VirtioNetHeaderFlags.NeedsChecksum, type, 0, (ushort)gsoSize, (ushort)checksumStart, (ushort)checksumOffset);
        Assert.Equal(VirtioNetHeaderConversion.Invalid, header.ToGso(built.Frame, out GsoContext context));
        Assert.Equal(default, context);
    }

    [Theory]
    [InlineData(734, 0)]
    [InlineData(733, 0)]
    [InlineData(732, 1)]
    [InlineData(34, 699)]
    [InlineData(0, 65_535)]
    public void An_ordinary_frame_with_its_checksum_field_outside_it_is_invalid_and_untouched(int start, int offset)
    {
        byte[] frame = new byte[734];
        new Random(5).NextBytes(frame);
        byte[] before = [.. frame];
        var header = new VirtioNetHeader(VirtioNetHeaderFlags.NeedsChecksum, VirtioNetHeaderGsoType.None, 0, 0, (ushort)start, (ushort)offset);
        Assert.Equal(VirtioNetHeaderConversion.Invalid, header.ToGso(frame, out _));
        Assert.Equal(before, frame);
    }

    [Fact]
    public void An_ordinary_frame_without_flags_passes_as_it_is()
    {
        byte[] frame = new byte[60];
        new Random(6).NextBytes(frame);
        byte[] before = [.. frame];
        Assert.Equal(VirtioNetHeaderConversion.Plain, default(VirtioNetHeader).ToGso(frame, out _));
        Assert.Equal(before, frame);
    }

    [Fact]
    public void TryFromGso_refuses_an_invalid_context_and_leaves_the_frame_untouched()
    {
        BuiltFrame built = TestFrames.Build(new FrameSpec(IPv6: false, Tcp: true, 5_000, 1448));
        byte[] frame = [.. built.Frame];
        Assert.False(VirtioNetHeader.TryFromGso(built.Context with { SegmentHeadersLength = 1 }, frame, out VirtioNetHeader header));
        Assert.Equal(default, header);
        Assert.Equal(built.Frame, frame);
    }

    [Fact]
    public void Hostile_headers_over_hostile_frames_never_throw_and_give_valid_contexts_only()
    {
        int gso = 0;
        Gen.Select(Gen.Byte.Array[10], Gen.Int[0, 4], Gen.Frequency((4, Gen.Int[0, 3_000]), (1, Gen.Int[0, 70_000])), Gen.Int)
            .Sample(
                (bytes, shape, length, seed) =>
                {
                    var random = new Random(seed);
                    byte[] frame;
                    VirtioNetHeader header = VirtioNetHeader.Read(bytes);
                    if (shape == 0)
                    {
                        frame = new byte[length];
                        random.NextBytes(frame);
                    }
                    else
                    {
                        // A real GSO frame and its real header, with some header fields overwritten.
                        int mss = Math.Max(8, length % 3_000);
                        var spec = new FrameSpec(IPv6: (shape & 1) == 0, Tcp: shape < 3, Math.Max(mss, length % 20_000), mss, Seed: seed);
                        BuiltFrame built = TestFrames.Build(spec);
                        frame = built.Frame;
                        Assert.True(VirtioNetHeader.TryFromGso(built.Context, frame, out VirtioNetHeader good));
                        byte[] mixed = new byte[10];
                        good.Write(mixed);
                        for (int i = 0; i < 10; i++)
                        {
                            if (random.Next(4) == 0)
                            {
                                mixed[i] = bytes[i];
                            }
                        }

                        header = VirtioNetHeader.Read(mixed);
                    }

                    int frameLength = frame.Length;
                    VirtioNetHeaderConversion result = header.ToGso(frame, out GsoContext context);
                    Assert.Equal(frameLength, frame.Length);
                    if (result == VirtioNetHeaderConversion.Gso)
                    {
                        Interlocked.Increment(ref gso);
                        Assert.True(context.IsValid((ReadOnlySpan<byte>)frame));
                        Assert.True(GsoContextTests.Model(ToBytes(context), frame.Length));
                    }
                    else
                    {
                        Assert.Equal(default, context);
                    }
                },
                iter: 20_000,
                print: t => $"{Convert.ToHexString(t.Item1)} shape {t.Item2} length {t.Item3} seed {t.Item4}");
        Assert.True(gso > 1_000, $"only {gso} of the hostile headers converted");
    }

    /// <summary>
    /// A frame as the kernel sends it with NEEDS_CSUM: lengths and IPv4 header checksum set, the
    /// transport checksum field holding the pseudo-header sum (computed here byte by byte).
    /// </summary>
    private static (byte[] Frame, VirtioNetHeader Header, BuiltFrame Built) PartialChecksumFrame(bool ipv6, bool tcp, int payload)
    {
        BuiltFrame built = TestFrames.Build(new FrameSpec(ipv6, tcp, payload, payload));
        byte[] frame = built.Frame;
        int transportLength = frame.Length - built.TransportOffset;
        if (!ipv6)
        {
            frame[24] = 0;
            frame[25] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(24), (ushort)~NaiveChecksum.Sum(frame.AsSpan(14, 20)));
        }

        byte protocol = tcp ? (byte)6 : (byte)17;
        int field = built.TransportOffset + (tcp ? 16 : 6);
        frame[field] = 0;
        frame[field + 1] = 0;
        byte[] lengthBytes = ipv6
            ? [(byte)(transportLength >> 24), (byte)(transportLength >> 16), (byte)(transportLength >> 8), (byte)transportLength, 0, 0, 0, protocol]
            : [0, protocol, (byte)(transportLength >> 8), (byte)transportLength];
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(field), NaiveChecksum.Sum([.. built.Source, .. built.Destination, .. lengthBytes]));
        var header = new VirtioNetHeader(VirtioNetHeaderFlags.NeedsChecksum, VirtioNetHeaderGsoType.None, (ushort)built.HeadersLength, 0, (ushort)built.TransportOffset, (ushort)(tcp ? 16 : 6));
        return (frame, header, built);
    }

    private static void CheckComplete(bool ipv6, bool tcp, BuiltFrame built, byte[] frame)
    {
        Packet packet = Packet.ParsePacket(LinkLayers.Ethernet, frame);
        if (tcp)
        {
            Assert.True(packet.Extract<TcpPacket>().ValidChecksum);
        }
        else
        {
            Assert.True(packet.Extract<UdpPacket>().ValidUdpChecksum);
        }

        Assert.Equal(0xFFFF, NaiveChecksum.PseudoAndTransport(built.Source, built.Destination, tcp ? (byte)6 : (byte)17, frame.AsSpan(built.TransportOffset)));
        if (!ipv6)
        {
            Assert.True(packet.Extract<IPv4Packet>().ValidIPChecksum);
        }
    }

    /// <summary>
    /// What a TAP needs of a super-frame: IP lengths and the IPv4 checksum of the whole, the UDP
    /// length of the whole datagram, and a checksum field that, completed as the kernel completes
    /// it, makes the whole super-frame's transport checksum valid.
    /// </summary>
    private static void CheckReadyForTheKernel(FrameSpec spec, BuiltFrame built, byte[] frame, VirtioNetHeader header)
    {
        if (spec.IPv6)
        {
            Assert.Equal(frame.Length - built.NetworkOffset - 40, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(built.NetworkOffset + 4)));
        }
        else
        {
            Assert.Equal(frame.Length - built.NetworkOffset, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(built.NetworkOffset + 2)));
            Assert.True(NaiveChecksum.IPv4HeaderValid(frame.AsSpan(built.NetworkOffset, built.TransportOffset - built.NetworkOffset)));
            Assert.Equal(built.Frame.AsSpan(built.NetworkOffset + 4, 2).ToArray(), frame[(built.NetworkOffset + 4)..(built.NetworkOffset + 6)]);
        }

        if (!spec.Tcp)
        {
            Assert.Equal(frame.Length - built.TransportOffset, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(built.TransportOffset + 4)));
        }

        Assert.Equal(built.Frame[built.HeadersLength..], frame[built.HeadersLength..]);
        byte[] completed = [.. frame];
        Assert.True(Checksum.TryCompletePartial(completed, header.ChecksumStart, header.ChecksumOffset));
        Assert.Equal(0xFFFF, NaiveChecksum.PseudoAndTransport(built.Source, built.Destination, spec.Tcp ? (byte)6 : (byte)17, completed.AsSpan(built.TransportOffset)));
    }

    private static byte[] ToBytes(GsoContext context)
    {
        byte[] bytes = new byte[8];
        context.Write(bytes);
        return bytes;
    }
}
