using CsCheck;

namespace SupHost.IntNet.Format.Tests;

/// <summary>
/// The 8-byte context: its layout, and its validity against a simple model of the rules
/// (docs/gso.md, "Validity"), with contexts and frames a hostile client could write.
/// </summary>
public sealed class GsoContextTests
{
    /// <summary>Field values near the boundaries of the rules, mixed with arbitrary bytes.</summary>
    private static readonly Gen<byte> s_offset = Gen.Frequency(
        (2, Gen.Byte),
        (3, Gen.Int[0, 90].Select(i => (byte)i)),
        (1, Gen.Int[0, 7].Select(i => (byte)(new[] { 13, 14, 18, 34, 38, 54, 74, 62 })[i])));

    private static readonly Gen<ushort> s_segment = Gen.Frequency(
        (2, Gen.UShort),
        (3, Gen.Int[0, 20].Select(i => (ushort)i)),
        (3, Gen.Int[0, 9_100].Select(i => (ushort)i)));

    /// <summary>Contexts as a sender would build them: consistent fields for one of the types.</summary>
    private static readonly Gen<byte[]> s_consistent =
        from type in Gen.Int[1, 4]
        from network in Gen.Frequency((3, Gen.Const(14)), (1, Gen.Const(18)), (1, Gen.Int[14, 60]))
        from ipWords in Gen.Int[5, 15]
        from extension in Gen.Frequency((3, Gen.Const(0)), (1, Gen.Int[1, 8].Select(i => i * 8)))
        from tcpWords in Gen.Int[5, 15]
        from mss in Gen.Frequency((2, Gen.Int[1, 1_500]), (1, Gen.Int[1, 9_000]), (1, Gen.Int[1, 20]))
        let transport = network + (type is 1 or 3 ? ipWords * 4 : 40 + extension)
        let headers = transport + (type is 1 or 2 ? tcpWords * 4 : 8)
        where headers <= 255
        select new byte[] { (byte)type, (byte)headers, (byte)mss, (byte)(mss >> 8), (byte)network, (byte)transport, (byte)(type == 3 ? transport : headers), 0 };

    /// <summary>Hostile contexts: consistent ones with a field or two broken, or arbitrary bytes.</summary>
    private static readonly Gen<byte[]> s_contextBytes = Gen.Frequency(
        (2, s_consistent),
        (3, Gen.Select(s_consistent, Gen.Int[0, 7], Gen.Int[-2, 2], Gen.Byte).Select((bytes, field, delta, value) =>
        {
            byte[] broken = [.. bytes];
            broken[field] = delta == 0 ? value : (byte)(broken[field] + delta);
            return broken;
        })),
        (1, Gen.Select(s_offset, s_segment, s_offset, s_offset, s_offset, Gen.Byte).Select((headers, mss, network, transport, perSegment, type) =>
            new byte[] { (byte)(type % 6), headers, (byte)mss, (byte)(mss >> 8), network, transport, perSegment, 0 })));

    [Fact]
    public void Fields_sit_at_their_offsets_little_endian()
    {
        GsoContext context = GsoContext.Read([3, 42, 0xD2, 0x04, 14, 34, 34, 0x99]);
        Assert.Equal(GsoType.IPv4Udp, context.Type);
        Assert.Equal(42, context.HeadersLength);
        Assert.Equal(0x04D2, context.MaxSegmentSize);
        Assert.Equal(14, context.NetworkHeaderOffset);
        Assert.Equal(34, context.TransportHeaderOffset);
        Assert.Equal(34, context.SegmentHeadersLength);

        byte[] written = new byte[10];
        Array.Fill(written, (byte)0xEE);
        context.Write(written);
        Assert.Equal([3, 42, 0xD2, 0x04, 14, 34, 34, 0x00, 0xEE, 0xEE], written);
        Assert.Equal(8, GsoContext.Size);
    }

    [Fact]
    public void Read_and_write_round_trip_every_context()
    {
        s_contextBytes.Sample(
            bytes =>
            {
                GsoContext context = GsoContext.Read(bytes);
                byte[] again = new byte[8];
                context.Write(again);
                Assert.Equal(bytes[..7], again[..7]);
                Assert.Equal(context, GsoContext.Read(again));
            },
            iter: 2_000);
    }

    [Fact]
    public void Read_and_write_refuse_short_buffers()
    {
        Assert.Throws<ArgumentException>(() => GsoContext.Read(new byte[7]));
        Assert.Throws<ArgumentException>(() => default(GsoContext).Write(new byte[7]));
    }

    [Fact]
    public void IsValid_agrees_with_the_model_for_hostile_contexts_and_lengths()
    {
        int valid = 0;
        Gen.Select(s_contextBytes, Gen.Frequency((3, Gen.Int[0, 10_000]), (1, Gen.Int[60_000, 70_000]), (1, Gen.Int)), Gen.Int[-2, 2], Gen.Bool)
            .Select((bytes, length, delta, near) => (bytes, near ? bytes[1] + (bytes[2] | (bytes[3] << 8)) + delta : length))
            .Sample(
                (bytes, frameLength) =>
                {
                    GsoContext context = GsoContext.Read(bytes);
                    bool expected = Model(bytes, frameLength);
                    Assert.Equal(expected, context.IsValid(frameLength));
                    Assert.Equal(expected ? ModelSegments(bytes, frameLength) : 0, context.GetSegmentCount(frameLength));
                    if (expected)
                    {
                        Interlocked.Increment(ref valid);
                    }
                },
                iter: 200_000,
                print: t => $"{Convert.ToHexString(t.Item1)} over {t.Item2}");

        // The generator must reach the valid side often enough for the comparison to mean something.
        Assert.True(valid > 20_000, $"only {valid} valid contexts were generated");
    }

    [Theory]
    [InlineData("01 36 b4 05 0e 22 36 00", 1_514, true)] // IPv4 TCP, 1460 per segment, exactly one segment
    [InlineData("01 36 b4 05 0e 22 36 00", 1_513, false)] // less than one full segment
    [InlineData("01 36 a8 05 0e 22 35 00", 1_514, false)] // headers per segment differ from the headers
    [InlineData("01 36 00 00 0e 22 36 00", 1_514, false)] // no segment size
    [InlineData("01 36 a8 05 0d 21 36 00", 1_514, false)] // the IP header inside the Ethernet header
    [InlineData("01 36 a8 05 0e 21 35 00", 1_514, false)] // an IPv4 header of 19 bytes
    [InlineData("01 35 a8 05 0e 22 35 00", 1_514, false)] // a TCP header of 19 bytes
    [InlineData("01 5f a8 05 0e 22 5f 00", 1_514, false)] // a TCP header of 61 bytes
    [InlineData("01 5e a8 05 0e 22 5e 00", 1_600, true)] // a TCP header of 60 bytes
    [InlineData("01 52 a8 05 0e 3e 52 00", 1_600, true)] // an IPv4 header of 48 bytes (options)
    [InlineData("01 62 a8 05 0e 4e 62 00", 1_600, false)] // an IPv4 header of 64 bytes, more than IHL can say
    [InlineData("02 4a a8 05 0e 36 4a 00", 1_530, true)] // IPv6 TCP
    [InlineData("02 4a a8 05 0e 35 4a 00", 1_530, false)] // an IPv6 header of 39 bytes
    [InlineData("03 2a a8 05 0e 22 22 00", 1_522, true)] // IPv4 UDP: the UDP header in the first fragment only
    [InlineData("03 2a a8 05 0e 22 2a 00", 1_522, false)] // IPv4 UDP repeating the UDP header
    [InlineData("03 2a 07 00 0e 22 22 00", 1_522, false)] // a fragment too small for the UDP header
    [InlineData("03 2b a8 05 0e 22 22 00", 1_522, false)] // a UDP header of 9 bytes
    [InlineData("04 3e a8 05 0e 36 3e 00", 1_510, true)] // IPv6 UDP
    [InlineData("04 3e a8 05 0e 36 36 00", 1_510, false)] // IPv6 UDP without the UDP header in each datagram
    [InlineData("05 4a a8 05 0e 22 4a 00", 1_530, false)] // the original's 4-in-6 tunnel types are refused
    [InlineData("00 36 a8 05 0e 22 36 00", 1_514, false)] // invalid type
    [InlineData("01 36 01 00 0e 22 36 00", 65_549, true)] // 65,495 one-byte segments of the largest IPv4 packet
    [InlineData("01 36 01 00 0e 22 36 00", 65_550, false)] // one byte more than an IPv4 packet holds
    [InlineData("04 3e 01 00 0e 36 3e 00", 65_589, true)] // 65,527 one-byte datagrams: the most segments there can be
    [InlineData("04 3e 01 00 0e 36 3e 00", 65_590, false)] // one byte more than an IPv6 packet holds
    public void IsValid_examples(string hex, int frameLength, bool expected)
    {
        byte[] bytes = Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));
        Assert.Equal(expected, Model(bytes, frameLength) && GsoContext.Read(bytes).IsValid(frameLength));
        Assert.Equal(expected, GsoContext.Read(bytes).IsValid(frameLength));
    }

    [Theory]
    [InlineData(false, true, 14, 0x55)] // IPv4 header claiming version 5
    [InlineData(false, true, 14, 0x46)] // IHL 24 bytes, the context says 20
    [InlineData(false, true, 14, 0x44)] // IHL 16 bytes
    [InlineData(false, true, 23, 17)] // protocol UDP in a TCP context
    [InlineData(false, false, 23, 6)] // protocol TCP in a UDP context
    [InlineData(false, true, 20, 0x60)] // DF and MF: already a fragment
    [InlineData(false, false, 21, 0x01)] // a fragment offset: already a fragment
    [InlineData(false, true, 46, 0x60)] // TCP data offset 24, the context says 20
    [InlineData(false, true, 46, 0x40)] // TCP data offset 16
    [InlineData(true, true, 14, 0x40)] // IPv6 context over an IPv4 version
    [InlineData(true, true, 20, 17)] // next header UDP in a TCP context
    [InlineData(true, false, 20, 6)] // next header TCP in a UDP context
    public void IsValid_of_a_frame_refuses_headers_that_disagree_with_the_context(bool ipv6, bool tcp, int offset, byte value)
    {
        BuiltFrame built = TestFrames.Build(new FrameSpec(ipv6, tcp, 4_000, 1_000));
        Assert.True(built.Context.IsValid((ReadOnlySpan<byte>)built.Frame));
        built.Frame[offset] = value;
        Assert.True(built.Context.IsValid(built.Frame.Length));
        Assert.False(built.Context.IsValid((ReadOnlySpan<byte>)built.Frame));
        Assert.False(GsoSegmenter.TryCreate(built.Context, built.Frame, out _));
    }

    [Fact]
    public void IsValid_of_a_frame_takes_any_next_header_behind_IPv6_extension_headers()
    {
        BuiltFrame built = TestFrames.Build(new FrameSpec(IPv6: true, Tcp: true, 4_000, 1_000, IPv6HopByHop: true));
        Assert.Equal(0, built.Frame[20]); // hop-by-hop options first
        Assert.True(built.Context.IsValid((ReadOnlySpan<byte>)built.Frame));
        built.Frame[20] = 60; // destination options instead
        Assert.True(built.Context.IsValid((ReadOnlySpan<byte>)built.Frame));
    }

    [Fact]
    public void Hostile_contexts_over_hostile_frames_never_throw_and_never_write_outside_the_segment()
    {
        int cut = 0;
        Gen.Select(s_contextBytes, Gen.Int[0, 3], Gen.Frequency((4, Gen.Int[0, 3_000]), (1, Gen.Int[0, 70_000])), Gen.Int)
            .Sample(
                (bytes, shape, length, seed) =>
                {
                    var random = new Random(seed);

                    // Either random bytes, or a well-formed frame whose context is overwritten in part.
                    byte[] frame;
                    GsoContext context = GsoContext.Read(bytes);
                    if (shape == 0)
                    {
                        frame = new byte[length];
                        random.NextBytes(frame);
                    }
                    else
                    {
                        var spec = new FrameSpec(IPv6: shape == 2, Tcp: shape != 3, Math.Max(1, length % 9_000), Math.Max(8, length % 1_500), Seed: seed);
                        BuiltFrame good = TestFrames.Build(spec);
                        frame = good.Frame;
                        byte[] mixed = new byte[8];
                        good.Context.Write(mixed);
                        for (int i = 0; i < 8; i++)
                        {
                            if (random.Next(3) == 0)
                            {
                                mixed[i] = bytes[i];
                            }
                        }

                        context = GsoContext.Read(mixed);
                    }

                    bool created = GsoSegmenter.TryCreate(context, frame, out GsoSegmenter segmenter);
                    Assert.Equal(created, context.IsValid((ReadOnlySpan<byte>)frame));
                    if (created)
                    {
                        Interlocked.Increment(ref cut);
                        Assert.True(Model(ToBytes(context), frame.Length));
                        CutBounded(segmenter);
                    }
                },
                iter: 20_000,
                print: t => $"{Convert.ToHexString(t.Item1)} shape {t.Item2} length {t.Item3} seed {t.Item4}");
        Assert.True(cut > 1_000, $"only {cut} of the hostile contexts were valid for their frames");
    }

    [Fact]
    public void A_frame_changed_after_validation_still_cuts_inside_its_bounds()
    {
        // The super-frame may sit in a ring the client keeps writing: validation saw one frame,
        // segmentation reads another. Only the contents may change, never where anything goes.
        Gen.Select(Gen.Int[0, 3], Gen.Int[1, 20_000], Gen.Int[1, 3_000], Gen.Int)
            .Sample(
                (shape, payload, mss, seed) =>
                {
                    var spec = new FrameSpec(IPv6: (shape & 1) != 0, Tcp: shape < 2, Math.Max(payload, mss), Math.Max(8, mss), Seed: seed);
                    BuiltFrame built = TestFrames.Build(spec);
                    Assert.True(GsoSegmenter.TryCreate(built.Context, built.Frame, out GsoSegmenter segmenter), spec.ToString());
                    int[] lengths = Lengths(segmenter);
                    new Random(seed).NextBytes(built.Frame);
                    Assert.Equal(lengths, Lengths(segmenter));
                    CutBounded(segmenter);
                },
                iter: 300);
    }

    /// <summary>
    /// The rules, restated from docs/gso.md as one list of required conditions: the original's
    /// PDMNetGsoIsValid, plus headers per segment and the IP length fields.
    /// </summary>
    internal static bool Model(byte[] bytes, int frameLength)
    {
        int type = bytes[0];
        int headers = bytes[1];
        int mss = bytes[2] | (bytes[3] << 8);
        int ip = bytes[4];
        int transport = bytes[5];
        int perSegment = bytes[6];
        if (type is < 1 or > 4)
        {
            return false;
        }

        bool v4 = type is 1 or 3;
        bool tcp = type is 1 or 2;
        bool fragments = type == 3;
        int ipHeader = transport - ip;
        int transportHeader = headers - transport;
        int ipPacket = frameLength - ip - (v4 ? 0 : 40);
        bool[] required =
        [
            ip >= 14,
            v4 ? ipHeader is >= 20 and <= 60 : ipHeader >= 40,
            tcp ? transportHeader is >= 20 and <= 60 : transportHeader == 8,
            perSegment == (fragments ? transport : headers),
            mss >= (fragments ? 8 : 1),
            frameLength > headers,
            frameLength - perSegment >= mss,
            ipPacket <= 65_535,
        ];
        return required.All(r => r);
    }

    /// <summary>Segments: the payload behind the repeated headers over the step between segments.</summary>
    internal static int ModelSegments(byte[] bytes, int frameLength)
    {
        int mss = bytes[2] | (bytes[3] << 8);
        int step = bytes[0] == 3 ? mss - (mss % 8) : mss;
        return (int)Math.Ceiling((frameLength - bytes[6]) / (double)step);
    }

    private static int[] Lengths(GsoSegmenter segmenter)
    {
        int[] lengths = new int[segmenter.SegmentCount];
        for (int i = 0; i < lengths.Length; i++)
        {
            lengths[i] = segmenter.GetSegmentLength(i);
        }

        return lengths;
    }

    private static byte[] ToBytes(GsoContext context)
    {
        byte[] bytes = new byte[8];
        context.Write(bytes);
        return bytes;
    }

    private static void CutBounded(GsoSegmenter segmenter)
    {
        Assert.InRange(segmenter.SegmentCount, 1, GsoContext.MaxSegments);
        byte[] buffer = new byte[segmenter.MaxSegmentLength + 64];
        for (int i = 0; i < segmenter.SegmentCount; i++)
        {
            int length = segmenter.GetSegmentLength(i);
            Array.Fill(buffer, (byte)0xA5);
            Assert.Equal(length, segmenter.WriteSegment(i, buffer.AsSpan(32, length)));
            Segments.AssertGuards(buffer, 32, length);
        }
    }
}
