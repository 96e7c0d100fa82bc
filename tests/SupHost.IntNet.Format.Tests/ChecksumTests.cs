using System.Buffers.Binary;
using CsCheck;
using PacketDotNet;
using PacketDotNet.Utils;

namespace SupHost.IntNet.Format.Tests;

/// <summary>The fast checksum paths against <see cref="NaiveChecksum"/> and PacketDotNet.</summary>
public sealed class ChecksumTests
{
    [Fact]
    public void Sum_matches_the_byte_by_byte_sum_at_any_length_and_alignment()
    {
        Gen.Select(Gen.Int[0, 70_000], Gen.Int[0, 63], Gen.Int)
            .Sample(
                (length, alignment, seed) =>
                {
                    byte[] buffer = new byte[alignment + length];
                    new Random(seed).NextBytes(buffer);
                    ReadOnlySpan<byte> data = buffer.AsSpan(alignment, length);
                    Assert.Equal(NaiveChecksum.Sum(data), Checksum.Sum(data));
                },
                iter: 2_000);
    }

    [Fact]
    public void Sum_matches_at_every_short_length_where_the_loops_hand_over()
    {
        var random = new Random(7);
        for (int length = 0; length <= 300; length++)
        {
            for (int alignment = 0; alignment < 8; alignment++)
            {
                byte[] buffer = new byte[alignment + length];
                random.NextBytes(buffer);
                ReadOnlySpan<byte> data = buffer.AsSpan(alignment, length);
                Assert.Equal(NaiveChecksum.Sum(data), Checksum.Sum(data));
            }
        }
    }

    [Theory]
    [InlineData(0xFF)]
    [InlineData(0x00)]
    [InlineData(0x80)]
    public void Sum_of_more_than_the_vector_flush_interval_of_worst_case_bytes_is_exact(byte fill)
    {
        // 5 MiB + 3 of one value: all ones is the largest each lane can receive per step, so a
        // missing flush of the 32-bit lanes would show as a wrong sum here.
        byte[] data = new byte[(5 << 20) + 3];
        Array.Fill(data, fill);
        Assert.Equal(NaiveChecksum.Sum(data), Checksum.Sum(data));
    }

    [Fact]
    public void Sum_continues_a_given_sum()
    {
        Gen.Select(Gen.Int[0, 3_000], Gen.UShort, Gen.Int)
            .Sample(
                (length, start, seed) =>
                {
                    byte[] data = new byte[length];
                    new Random(seed).NextBytes(data);
                    uint expected = (uint)start + NaiveChecksum.Sum(data);
                    expected = (expected & 0xFFFF) + (expected >> 16);
                    Assert.Equal((ushort)expected, Checksum.Sum(data, start));
                },
                iter: 500);
    }

    [Fact]
    public void Pieces_at_odd_and_even_offsets_combine_into_the_sum_of_the_whole()
    {
        Gen.Select(Gen.Int[0, 5_000], Gen.Int, Gen.Int)
            .Sample(
                (length, split, seed) =>
                {
                    byte[] data = new byte[length];
                    new Random(seed).NextBytes(data);
                    int at = length == 0 ? 0 : (int)((uint)split % (uint)(length + 1));
                    ushort combined = Checksum.AddAtOffset(Checksum.Sum(data.AsSpan(0, at)), Checksum.Sum(data.AsSpan(at)), at);

                    // One's complement zero has two forms (0 and 0xFFFF); all-zero pieces give 0.
                    ushort whole = NaiveChecksum.Sum(data);
                    Assert.True(combined == whole || (combined == 0xFFFF && whole == 0) || (combined == 0 && whole == 0xFFFF), $"combined 0x{combined:x4}, whole 0x{whole:x4}, split {at} of {length}");
                },
                iter: 1_000);
    }

    [Fact]
    public void CopyAndSum_copies_exactly_and_sums_like_the_byte_by_byte_sum()
    {
        Gen.Select(Gen.Int[0, 20_000], Gen.Int[0, 31], Gen.Int[0, 31], Gen.Int)
            .Sample(
                (length, sourceAlignment, destinationAlignment, seed) =>
                {
                    var random = new Random(seed);
                    byte[] source = new byte[sourceAlignment + length];
                    random.NextBytes(source);
                    byte[] destination = new byte[destinationAlignment + length + 16];
                    Array.Fill(destination, (byte)0xA5);
                    ushort sum = Checksum.CopyAndSum(source.AsSpan(sourceAlignment), destination.AsSpan(destinationAlignment, length));
                    Assert.Equal(NaiveChecksum.Sum(source.AsSpan(sourceAlignment)), sum);
                    Assert.True(source.AsSpan(sourceAlignment).SequenceEqual(destination.AsSpan(destinationAlignment, length)));
                    Assert.All(destination[..destinationAlignment], b => Assert.Equal(0xA5, b));
                    Assert.All(destination[(destinationAlignment + length)..], b => Assert.Equal(0xA5, b));
                },
                iter: 1_000);
    }

    [Fact]
    public void CopyAndSum_refuses_a_short_destination()
    {
        byte[] source = new byte[100];
        byte[] destination = new byte[99];
        Assert.Throws<ArgumentException>(() => Checksum.CopyAndSum(source, destination));
    }

    [Fact]
    public void Pseudo_headers_sum_like_their_byte_layouts()
    {
        Gen.Select(Gen.Int, Gen.Int[0, 70_000], Gen.Bool)
            .Sample(
                (seed, length, tcp) =>
                {
                    var random = new Random(seed);
                    byte protocol = tcp ? (byte)6 : (byte)17;
                    byte[] v4 = new byte[20];
                    random.NextBytes(v4);
                    byte[] v6 = new byte[40];
                    random.NextBytes(v6);

                    // The byte layouts: the addresses, then RFC 768's zero/protocol/length for IPv4
                    // and RFC 8200's 32-bit length, three zeros and the next header for IPv6.
                    byte[] layout4 = [.. v4[12..20], 0, protocol, (byte)(length >> 8), (byte)length];
                    byte[] layout6 = [.. v6[8..40], (byte)(length >> 24), (byte)(length >> 16), (byte)(length >> 8), (byte)length, 0, 0, 0, protocol];
                    if (length <= 0xFFFF)
                    {
                        Assert.Equal(NaiveChecksum.Sum(layout4), Checksum.PseudoHeaderIPv4(v4, protocol, length));
                    }

                    Assert.Equal(NaiveChecksum.Sum(layout6), Checksum.PseudoHeaderIPv6(v6, protocol, length));
                },
                iter: 500);
    }

    [Fact]
    public void Pseudo_headers_refuse_short_headers()
    {
        Assert.Throws<ArgumentException>(() => Checksum.PseudoHeaderIPv4(new byte[19], 6, 20));
        Assert.Throws<ArgumentException>(() => Checksum.PseudoHeaderIPv6(new byte[39], 6, 20));
        Assert.Throws<ArgumentException>(() => Checksum.SetIPv4HeaderChecksum(new byte[19]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(10)]
    public void SetIPv4HeaderChecksum_gives_a_header_PacketDotNet_accepts(int optionWords)
    {
        var random = new Random(optionWords);
        byte[] packet = new byte[20 + (optionWords * 4) + 8];
        random.NextBytes(packet);
        packet[0] = (byte)(0x40 | (5 + optionWords));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[9] = 17;
        Checksum.SetIPv4HeaderChecksum(packet.AsSpan(0, 20 + (optionWords * 4)));
        Assert.True(NaiveChecksum.IPv4HeaderValid(packet.AsSpan(0, 20 + (optionWords * 4))));
        Assert.True(new IPv4Packet(new ByteArraySegment(packet)).ValidIPChecksum);
    }

    [Fact]
    public void TryCompletePartial_completes_a_TCP_checksum_PacketDotNet_accepts()
    {
        BuiltFrame built = TestFrames.Build(new FrameSpec(IPv6: false, Tcp: true, PayloadLength: 333, MaxSegment: 333));
        byte[] frame = built.Frame;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), (ushort)(frame.Length - 14));
        Checksum.SetIPv4HeaderChecksum(frame.AsSpan(14, 20));

        // The sender's part: the pseudo-header sum in the field, as virtio's NEEDS_CSUM has it.
        ushort pseudo = NaiveChecksum.Sum([.. built.Source, .. built.Destination, 0, 6, (byte)((frame.Length - 34) >> 8), (byte)(frame.Length - 34)]);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(34 + 16), pseudo);
        Assert.True(Checksum.TryCompletePartial(frame, 34, 16));
        Assert.True(Packet.ParsePacket(LinkLayers.Ethernet, frame).Extract<TcpPacket>().ValidChecksum);
        Assert.Equal(0xFFFF, NaiveChecksum.PseudoAndTransport(built.Source, built.Destination, 6, frame.AsSpan(34)));
    }

    [Fact]
    public void TryCompletePartial_stores_a_zero_result_as_all_ones()
    {
        // The covered bytes sum to 0xFFFF, so the complement is 0: sent as 0xFFFF (RFC 768).
        byte[] frame = [0xFF, 0xFF, 0x00, 0x00];
        Assert.True(Checksum.TryCompletePartial(frame, 0, 2));
        Assert.Equal([0xFF, 0xFF, 0xFF, 0xFF], frame);
    }

    [Theory]
    [InlineData(-1, 0)]
    [InlineData(0, -1)]
    [InlineData(64, 0)]
    [InlineData(100, 0)]
    [InlineData(60, 3)]
    [InlineData(0, 63)]
    [InlineData(1, 62)]
    [InlineData(int.MaxValue, int.MaxValue)]
    [InlineData(32, int.MaxValue)]
    public void TryCompletePartial_refuses_a_field_outside_the_frame_and_leaves_it_untouched(int start, int offset)
    {
        byte[] frame = new byte[64];
        new Random(3).NextBytes(frame);
        byte[] before = [.. frame];
        Assert.False(Checksum.TryCompletePartial(frame, start, offset));
        Assert.Equal(before, frame);
    }

    [Fact]
    public void TryCompletePartial_accepts_the_last_field_that_fits()
    {
        byte[] frame = new byte[64];
        Assert.True(Checksum.TryCompletePartial(frame, 0, 62));
        Assert.True(Checksum.TryCompletePartial(frame, 62, 0));
    }
}
