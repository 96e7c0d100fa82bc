using System.Buffers.Binary;

namespace SupHost.IntNet.Format.Tests;

/// <summary>
/// The buffer's bytes against the documented offsets (docs/intnet.md, REFERENCE.md §8): written
/// through the API and read raw, and written raw and read through the API. Every expected offset
/// and value here is a literal from the documentation, never one of the library's constants.
/// </summary>
public unsafe class LayoutTests
{
    [Fact]
    public void Initialize_writes_the_documented_header_and_zeroes_the_rest()
    {
        using var buffer = new GuardedBuffer(2048);
        buffer.Span.Fill(0xFF);

        BufferLayout layout = IntNetBuffer.Initialize(buffer.Span, 1000, 333);

        ReadOnlySpan<byte> b = buffer.Span;
        Assert.Equal(0x19110919u, U32(b, 0));
        Assert.Equal(1656u, U32(b, 4));   // 320 + 1000 + 336
        Assert.Equal(336u, U32(b, 8));    // cbSend, 333 rounded up to 8
        Assert.Equal(1000u, U32(b, 12));  // cbRecv

        // The receive ring at 16: data at buffer offset 320, i.e. 304 from the ring; every offset at the start.
        Assert.Equal(304u, U32(b, 16));
        Assert.Equal(1304u, U32(b, 20));
        Assert.Equal(304u, U32(b, 24));
        Assert.Equal(304u, U32(b, 32));
        Assert.Equal(304u, U32(b, 36));

        // The send ring at 64: data right after the receive data (buffer offset 1320 = 64 + 256 + 1000).
        Assert.Equal(1256u, U32(b, 64));
        Assert.Equal(1592u, U32(b, 68));
        Assert.Equal(1256u, U32(b, 72));
        Assert.Equal(1256u, U32(b, 80));
        Assert.Equal(1256u, U32(b, 84));

        // Padding, counters, reserved bytes and both data areas are zero; past cbBuf nothing was touched.
        foreach (int zero in new[] { 28, 40, 48, 56, 76, 88, 96, 104 })
        {
            Assert.Equal(0u, U32(b, zero));
        }

        Assert.True(b[112..1656].IndexOfAnyExcept((byte)0) < 0, "the counters, the reserved bytes or the data are not zero");
        Assert.True(b[1656..].IndexOfAnyExcept((byte)0xFF) < 0, "Initialize wrote past cbBuf");
        Assert.Equal(new BufferLayout(1656, new RingLayout(16, 320, 1000), new RingLayout(64, 1320, 336)), layout);
        buffer.AssertGuardsIntact();
    }

    [Theory]
    [InlineData(0, 0, 32, 32)]
    [InlineData(5, 31, 32, 32)]
    [InlineData(33, 32, 40, 32)]
    [InlineData(325632, 196608, 325632, 196608)] // DrvIntNet's defaults: 318 KiB and 192 KiB
    public void Ring_sizes_are_rounded_up_to_8_and_at_least_32(int receive, int send, int expectedReceive, int expectedSend)
    {
        BufferLayout layout = IntNetBuffer.Layout(receive, send);
        Assert.Equal(expectedReceive, layout.Receive.DataSize);
        Assert.Equal(expectedSend, layout.Send.DataSize);
        Assert.Equal(320 + expectedReceive + expectedSend, layout.Size);
        Assert.Equal(320 + expectedReceive + expectedSend, IntNetBuffer.RequiredSize(receive, send));
    }

    [Fact]
    public void Sizes_out_of_range_and_short_buffers_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => IntNetBuffer.Layout(-1, 64));
        Assert.Throws<ArgumentOutOfRangeException>(() => IntNetBuffer.Layout(64, (1 << 29) + 1));
        ArgumentException shortBuffer = Assert.Throws<ArgumentException>(() => IntNetBuffer.Initialize(new byte[383], 32, 32));
        Assert.StartsWith("the buffer holds 383 bytes; rings of 32 and 32 bytes need 384", shortBuffer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Frames_written_through_the_api_lie_at_the_documented_offsets_including_the_wrap()
    {
        using var buffer = new GuardedBuffer(320 + 64 + 64);
        BufferLayout layout = IntNetBuffer.Initialize(buffer.Span, 64, 64);
        using var writer = new RingWriter(buffer.Pointer, buffer.Length, layout.Receive);
        using var reader = new RingReader(buffer.Pointer, buffer.Length, layout.Receive);
        ReadOnlySpan<byte> b = buffer.Span;

        // A 13-byte frame at the start of the receive data (buffer offset 320): header, then the
        // frame at +8, padded to 16; offWriteCom (ring offset 16) moves to 304 + 8 + 16.
        byte[] first = Frames.Make(1, 13);
        Assert.Equal(RingStatus.Success, writer.Write(first));
        Assert.Equal(0x4200000Du, U32(b, 320));
        Assert.Equal(8, I32(b, 324));
        Assert.True(b.Slice(328, 13).SequenceEqual(first));
        Assert.Equal(328u, U32(b, 16 + 16));
        Assert.Equal(328u, U32(b, 16 + 20));
        Assert.Equal(13ul, U64(b, 16 + 24));
        Assert.Equal(1ul, U64(b, 16 + 32));
        Assert.Equal(RingStatus.Success, reader.Read(new byte[64], out int length, out FrameType type));
        Assert.Equal((13, FrameType.Frame), (length, type));
        Assert.Equal(328u, U32(b, 16 + 8)); // offReadX follows

        // 20 bytes fit after it: header at 344, frame at 352, the next entry at 376.
        Assert.Equal(RingStatus.Success, writer.Write(Frames.Make(2, 20)));
        Assert.Equal(0x42000014u, U32(b, 344));
        Assert.Equal(8, I32(b, 348));
        Assert.Equal(RingStatus.Success, reader.Peek(out _, out ReadOnlySpan<byte> second));
        Assert.Equal(352, buffer.OffsetOf(second));
        reader.Skip();

        // At 376 only 8 bytes remain before the end (384): the header stays there and a 16-byte
        // frame goes to the start of the data, offFrame 320 - 376 = -56; offWriteCom becomes
        // 336 - 16 = 320 from the ring.
        byte[] wrapped = Frames.Make(3, 16);
        Assert.Equal(RingStatus.Success, writer.Write(wrapped));
        Assert.Equal(0x42000010u, U32(b, 376));
        Assert.Equal(-56, I32(b, 380));
        Assert.True(b.Slice(320, 16).SequenceEqual(wrapped));
        Assert.Equal(320u, U32(b, 16 + 16));
        Assert.Equal(RingStatus.Success, reader.Peek(out _, out ReadOnlySpan<byte> peeked));
        Assert.Equal(320, buffer.OffsetOf(peeked));
        Assert.True(peeked.SequenceEqual(wrapped));
        reader.Skip();
        Assert.Equal(320u, U32(b, 16 + 8));

        // A frame larger than the ring overflows: counted at ring offset 40, nothing written.
        Assert.Equal(RingStatus.Overflow, writer.Write(new byte[64]));
        Assert.Equal(1ul, U64(b, 16 + 40));
        Assert.Equal(320u, U32(b, 16 + 16));
        Assert.Equal((49ul, 3ul, 1ul), (U64(b, 16 + 24), U64(b, 16 + 32), writer.Overflows));

        // The send ring was never touched.
        Assert.Equal(320u, U32(b, 64 + 8));
        Assert.Equal(320u, U32(b, 64 + 16));
        Assert.True(b[384..448].IndexOfAnyExcept((byte)0) < 0);
        buffer.AssertGuardsIntact();
    }

    [Fact]
    public void Entries_written_raw_at_the_documented_offsets_are_read_through_the_api()
    {
        using var buffer = new GuardedBuffer(320 + 64 + 64);
        BufferLayout layout = IntNetBuffer.Initialize(buffer.Span, 64, 64);
        using var reader = new RingReader(buffer.Pointer, buffer.Length, layout.Send);
        Span<byte> b = buffer.Span;

        // The send data is at buffer offset 384 (320 + 64), i.e. 320 from the send ring at 64.
        // A 5-byte GSO entry there; offWriteCom (64 + 16) to its end, 384 + 16, i.e. 336.
        BinaryPrimitives.WriteUInt32LittleEndian(b[384..], 5u | (0x64u << 24));
        BinaryPrimitives.WriteInt32LittleEndian(b[388..], 8);
        "hello"u8.CopyTo(b[392..]);
        BinaryPrimitives.WriteUInt32LittleEndian(b[(64 + 16)..], 336);
        Assert.Equal(RingStatus.Success, reader.Peek(out FrameType type, out ReadOnlySpan<byte> frame));
        Assert.Equal(FrameType.Gso, type);
        Assert.True(frame.SequenceEqual("hello"u8));
        Assert.Equal(392, buffer.OffsetOf(frame));
        reader.Skip();
        Assert.Equal(336u, U32(b, 64 + 8));

        // A 32-byte padding entry at 400, then at 440 (8 bytes before the end, 448) a header whose
        // 7-byte frame wrapped to the start: offFrame 384 - 440 = -56. offWriteCom after that frame:
        // 384 + 8 = 392, i.e. 328 from the ring. The reader skips the padding and hands out the frame.
        BinaryPrimitives.WriteUInt32LittleEndian(b[400..], 32u | (0x53u << 24));
        BinaryPrimitives.WriteInt32LittleEndian(b[404..], 8);
        BinaryPrimitives.WriteUInt32LittleEndian(b[440..], 7u | (0x42u << 24));
        BinaryPrimitives.WriteInt32LittleEndian(b[444..], -56);
        "wrapped"u8.CopyTo(b[384..]);
        BinaryPrimitives.WriteUInt32LittleEndian(b[(64 + 16)..], 328);
        Assert.Equal(RingStatus.Success, reader.Peek(out type, out frame));
        Assert.Equal(FrameType.Frame, type);
        Assert.True(frame.SequenceEqual("wrapped"u8));
        Assert.Equal(384, buffer.OffsetOf(frame));
        Assert.Equal(440u - 64, U32(b, 64 + 8)); // the padding is consumed already, the frame not yet
        reader.Skip();
        Assert.Equal(328u, U32(b, 64 + 8));
        Assert.Equal(RingStatus.Empty, reader.Peek(out _, out _));
        Assert.Equal((2ul, 12ul, 0ul), (reader.FramesRead, reader.BytesRead, reader.BadEntries));
    }

    [Fact]
    public void The_buffer_counters_are_at_the_documented_offsets()
    {
        byte[] buffer = new byte[320 + 64];
        IntNetBuffer.Initialize(buffer, 32, 32);
        IntNetBuffer.PublishStatistics(buffer, new BufferStatistics(1, 2, 3, 4));
        Assert.Equal((1ul, 2ul, 3ul, 4ul), (U64(buffer, 112), U64(buffer, 120), U64(buffer, 128), U64(buffer, 136)));

        BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(128), 77);
        Assert.Equal(new BufferStatistics(1, 2, 77, 4), IntNetBuffer.ReadStatistics(buffer));
    }

    [Fact]
    public void A_client_validates_the_header_it_was_given()
    {
        // Mapped in whole pages: the mapping is longer than cbBuf.
        byte[] buffer = new byte[4096 * 128];
        BufferLayout made = IntNetBuffer.Initialize(buffer, 325632, 196608);
        Assert.True(IntNetBuffer.TryValidateHeader(buffer, out BufferLayout read, out string? problem), problem);
        Assert.Equal(made, read);
        Assert.Null(problem);

        AssertRefused(buffer, b => b[0] ^= 1, "the magic is 0x19110918, not 0x19110919");
        AssertRefused(buffer, b => BinaryPrimitives.WriteUInt32LittleEndian(b[12..], 325633), "the receive ring's size 325633 is not a multiple of 8 from 32 to 536870912");
        AssertRefused(buffer, b => BinaryPrimitives.WriteUInt32LittleEndian(b[8..], 16), "the send ring's size 16 is not a multiple of 8 from 32 to 536870912");
        AssertRefused(buffer, b => BinaryPrimitives.WriteUInt32LittleEndian(b[4..], 522561), "cbBuf is 522561, not 522560 (320 + 325632 + 196608)");
        AssertRefused(buffer, b => BinaryPrimitives.WriteUInt32LittleEndian(b[64..], 0), "the send ring spans 0 to 522496 from its structure, not 325888 to 522496");
        AssertRefused(buffer, b => BinaryPrimitives.WriteUInt32LittleEndian(b[20..], 4_000_000), "the receive ring spans 304 to 4000000 from its structure, not 304 to 325936");
        Assert.False(IntNetBuffer.TryValidateHeader(buffer.AsSpan(0, 522559), out _, out problem));
        Assert.Equal("cbBuf 522560 exceeds the 522559 bytes mapped", problem);
        Assert.False(IntNetBuffer.TryValidateHeader(buffer.AsSpan(0, 319), out _, out problem));
        Assert.Equal("the buffer holds 319 bytes, less than the 320-byte header", problem);
    }

    private static void AssertRefused(byte[] valid, SpanAction mutate, string expected)
    {
        byte[] copy = (byte[])valid.Clone();
        mutate(copy);
        Assert.False(IntNetBuffer.TryValidateHeader(copy, out BufferLayout layout, out string? problem));
        Assert.Equal(expected, problem);
        Assert.Equal(default, layout);
    }

    private delegate void SpanAction(Span<byte> buffer);

    private static uint U32(ReadOnlySpan<byte> b, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(b[offset..]);

    private static int I32(ReadOnlySpan<byte> b, int offset) => BinaryPrimitives.ReadInt32LittleEndian(b[offset..]);

    private static ulong U64(ReadOnlySpan<byte> b, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(b[offset..]);
}
