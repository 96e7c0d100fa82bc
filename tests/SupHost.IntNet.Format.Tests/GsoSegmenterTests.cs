using CsCheck;

namespace SupHost.IntNet.Format.Tests;

/// <summary>
/// Segmentation of TCP and UDP super-frames over IPv4 and IPv6, each segment parsed by
/// PacketDotNet and checked against the rules of RFC 9293 / 791 / 8200 (see <see cref="Segments"/>).
/// </summary>
public sealed class GsoSegmenterTests
{
    private static readonly int[] s_commonSegments = [536, 1448, 9000];

    /// <summary>Shapes of TCP super-frames: any payload up to the IP limit, any segment size up to it.</summary>
    private static readonly Gen<FrameSpec> s_tcp =
        from ipv6 in Gen.Bool
        from tcpOptions in Gen.Int[0, 10]
        from ipOptions in Gen.Int[0, 10]
        from hopByHop in Gen.Bool
        let max = TestFrames.MaxPayload(ipv6, tcp: true, tcpOptions, ipv6 ? 0 : ipOptions, ipv6 && hopByHop)
        from payload in Gen.Frequency((3, Gen.Int[1, max]), (1, Gen.Int[1, 3_000]), (1, Gen.Int[max - 100, max]))
        from mss in Gen.Frequency((3, Gen.Int[1, payload]), (2, Gen.Int[0, 2].Select(i => s_commonSegments[i])), (1, Gen.Int[Math.Max(1, payload - 3), payload]))
        from sequence in Gen.UInt
        from id in Gen.UShort
        from flags in Gen.Byte
        from seed in Gen.Int
        select new FrameSpec(ipv6, Tcp: true, payload, Math.Min(mss, payload), tcpOptions, ipv6 ? 0 : ipOptions, ipv6 && hopByHop, sequence, id, flags, seed);

    private static readonly Gen<FrameSpec> s_udp =
        from ipv6 in Gen.Bool
        from ipOptions in Gen.Int[0, 10]
        from hopByHop in Gen.Bool
        let max = TestFrames.MaxPayload(ipv6, tcp: false, 0, ipv6 ? 0 : ipOptions, ipv6 && hopByHop)
        from payload in Gen.Frequency((3, Gen.Int[1, max]), (1, Gen.Int[8, 3_000]), (1, Gen.Int[max - 100, max]))
        from mss in Gen.Frequency((3, Gen.Int[8, Math.Max(8, payload)]), (2, Gen.Int[0, 2].Select(i => s_commonSegments[i])))
        from id in Gen.UShort
        from seed in Gen.Int
        select new FrameSpec(ipv6, Tcp: false, payload, Math.Max(ipv6 ? 1 : 8, Math.Min(mss, payload)), 0, ipv6 ? 0 : ipOptions, ipv6 && hopByHop, 0, id, 0, seed);

    [Fact]
    public void Tcp_super_frames_of_any_size_cut_into_valid_continuous_segments()
    {
        s_tcp.Sample(
            spec =>
            {
                BuiltFrame built = TestFrames.Build(spec);
                Segments.CheckTcp(spec, built, Segments.Cut(built.Context, built.Frame));
            },
            iter: 150,
            print: spec => spec.ToString());
    }

    [Fact]
    public void Udp_super_frames_of_any_size_cut_as_the_original_does()
    {
        s_udp.Sample(
            spec =>
            {
                BuiltFrame built = TestFrames.Build(spec);
                List<byte[]> segments = Segments.Cut(built.Context, built.Frame);
                if (spec.IPv6)
                {
                    Segments.CheckUdpIPv6(spec, built, segments);
                }
                else
                {
                    Segments.CheckUdpIPv4(spec, built, segments);
                }
            },
            iter: 150,
            print: spec => spec.ToString());
    }

    [Theory]
    [InlineData(false, 1, 1)]
    [InlineData(false, 1, 2)]
    [InlineData(false, 1, 3_000)]
    [InlineData(false, 536, 536)]
    [InlineData(false, 536, 537)]
    [InlineData(false, 1448, 1448)]
    [InlineData(false, 1448, 1449)]
    [InlineData(false, 1448, 65_495)]
    [InlineData(false, 9000, 9000)]
    [InlineData(false, 9000, 9001)]
    [InlineData(false, 9000, 65_495)]
    [InlineData(false, 65_495, 65_495)]
    [InlineData(true, 1, 1)]
    [InlineData(true, 1, 2)]
    [InlineData(true, 1, 3_000)]
    [InlineData(true, 536, 536)]
    [InlineData(true, 536, 537)]
    [InlineData(true, 1448, 1448)]
    [InlineData(true, 1448, 1449)]
    [InlineData(true, 1448, 65_515)]
    [InlineData(true, 9000, 9000)]
    [InlineData(true, 9000, 9001)]
    [InlineData(true, 65_515, 65_515)]
    public void Tcp_edges_exactly_one_segment_one_byte_over_and_the_largest_frames(bool ipv6, int mss, int payload)
    {
        var spec = new FrameSpec(ipv6, Tcp: true, payload, mss, TcpFlags: TestFrames.Ack | TestFrames.Psh | TestFrames.Fin | TestFrames.Cwr | TestFrames.Ece, Sequence: 0xFFFF_FF00, IPv4Id: 0xFFFE);
        BuiltFrame built = TestFrames.Build(spec);
        List<byte[]> segments = Segments.Cut(built.Context, built.Frame);
        Assert.Equal(payload == mss ? 1 : (payload + mss - 1) / mss, segments.Count);
        Segments.CheckTcp(spec, built, segments);
    }

    [Fact]
    public void Tcp_with_a_one_byte_segment_cuts_the_largest_frame_into_one_byte_segments()
    {
        var spec = new FrameSpec(IPv6: false, Tcp: true, TestFrames.MaxPayload(false, true), 1, TcpFlags: TestFrames.Ack | TestFrames.Fin);
        BuiltFrame built = TestFrames.Build(spec);
        List<byte[]> segments = Segments.Cut(built.Context, built.Frame);
        Assert.Equal(65_495, segments.Count);
        Segments.CheckTcp(spec, built, segments);
    }

    [Theory]
    [InlineData(8, 1)]
    [InlineData(1001, 5_000)]
    [InlineData(1480, 1472)]
    [InlineData(1480, 1473)]
    [InlineData(1480, 2952)]
    [InlineData(1480, 2953)]
    [InlineData(1480, 65_507)]
    [InlineData(9000, 65_507)]
    public void Udp_over_IPv4_fragments_with_offsets_in_8_byte_units(int mss, int payload)
    {
        // 1472 bytes of payload plus the UDP header is exactly one 1480-byte fragment, 2952 two;
        // 1001 is cut at 1000, the multiple of 8 below it.
        var spec = new FrameSpec(IPv6: false, Tcp: false, payload, mss, IPv4Id: 0x4242);
        BuiltFrame built = TestFrames.Build(spec);
        Segments.CheckUdpIPv4(spec, built, Segments.Cut(built.Context, built.Frame));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 100)]
    [InlineData(1232, 1232)]
    [InlineData(1232, 1233)]
    [InlineData(1448, 65_527)]
    public void Udp_over_IPv6_cuts_into_separate_datagrams(int mss, int payload)
    {
        var spec = new FrameSpec(IPv6: true, Tcp: false, payload, mss);
        BuiltFrame built = TestFrames.Build(spec);
        Segments.CheckUdpIPv6(spec, built, Segments.Cut(built.Context, built.Frame));
    }

    [Fact]
    public void Segments_do_not_depend_on_the_super_frames_own_lengths_and_checksums()
    {
        var spec = new FrameSpec(IPv6: false, Tcp: true, 5_000, 1448);
        BuiltFrame built = TestFrames.Build(spec);
        List<byte[]> expected = Segments.Cut(built.Context, built.Frame);

        // A sender may leave the total length, the IP checksum and the TCP checksum at anything.
        byte[] other = [.. built.Frame];
        other[16] = 0xDE;
        other[17] = 0xAD;
        other[24] = 0x55;
        other[25] = 0x66;
        other[34 + 16] = 0x77;
        other[34 + 17] = 0x88;
        List<byte[]> actual = Segments.Cut(built.Context, other);
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i], actual[i]);
        }
    }

    [Fact]
    public void WriteSegment_refuses_an_index_out_of_range_and_a_short_destination()
    {
        BuiltFrame built = TestFrames.Build(new FrameSpec(IPv6: false, Tcp: true, 3_000, 1448));
        byte[] buffer = new byte[2_000];
        Assert.Throws<ArgumentOutOfRangeException>(() => Write(built, -1, buffer));
        Assert.Throws<ArgumentOutOfRangeException>(() => Write(built, 3, buffer));
        Assert.Throws<ArgumentException>(() => Write(built, 0, buffer.AsSpan(0, 1448 + 53).ToArray()));
        Assert.Equal(1448 + 54, Write(built, 0, buffer.AsSpan(0, 1448 + 54).ToArray()));
        Assert.Equal(104 + 54, Write(built, 2, buffer.AsSpan(0, 104 + 54).ToArray()));

        static int Write(BuiltFrame built, int index, byte[] destination)
        {
            Assert.True(GsoSegmenter.TryCreate(built.Context, built.Frame, out GsoSegmenter segmenter));
            return segmenter.WriteSegment(index, destination);
        }
    }
}
