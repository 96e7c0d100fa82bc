using System.Buffers.Binary;
using CsCheck;

namespace SupHost.IntNet.Format.Tests;

/// <summary>
/// The peer writes anything, anywhere in the shared buffer, at any moment: the reader reports a
/// bad entry, counts it and recovers; the writer refuses an impossible read offset; neither ever
/// throws, loops, hands out a span outside the data area or writes outside its own ring.
/// </summary>
public unsafe class RingHostileTests
{
    // Both rings 256 bytes: the send ring's structure at 64, its data at 576 to 832.
    private const int RingSize = 256;
    private const int SendStruct = 64;
    private const int SendData = 576;

    public static TheoryData<string, int, int, long> BadEntries => new()
    {
        // name, the entry (0: the first frame, 1: the second, after the first was read), the field
        // offset in the header (0: length and type, 4: offFrame), the value written there.
        { "unknown type", 0, 0, 0x99000010 },
        { "type zero", 0, 0, 0x00000010 },
        { "zero length", 0, 0, 0x42000000 },
        { "a length past the data area", 0, 0, 0x42FFFFFF },
        { "a length past what was committed", 1, 0, 0x42000000 | 65 },
        { "a length past what was committed, padding", 1, 0, 0x53000000 | 65 },
        { "offFrame 16", 0, 4, 16 },
        { "offFrame 0", 0, 4, 0 },
        { "offFrame -8", 1, 4, -8 },
        { "offFrame into the header", 0, 4, -SendData },
        { "offFrame int.MinValue", 0, 4, int.MinValue },
        { "offFrame int.MaxValue", 0, 4, int.MaxValue },
        { "the wrap while the data does not wrap", 1, 4, -48 },
    };

    [Theory]
    [MemberData(nameof(BadEntries))]
    public void A_bad_entry_is_dropped_with_what_follows_counted_and_the_ring_goes_on(string name, int entry, int field, long value)
    {
        using var buffer = new GuardedBuffer(IntNetBuffer.RequiredSize(RingSize, RingSize));
        BufferLayout layout = IntNetBuffer.Initialize(buffer.Span, RingSize, RingSize);
        using var writer = new RingWriter(buffer.Pointer, buffer.Length, layout.Send);
        using var reader = new RingReader(buffer.Pointer, buffer.Length, layout.Send);

        // Two 40-byte frames: headers at 576 and 624 (576 + 8 + 40), committed up to 672.
        Assert.Equal(RingStatus.Success, writer.Write(Frames.Make(1, 40)));
        Assert.Equal(RingStatus.Success, writer.Write(Frames.Make(2, 40)));
        if (entry == 1)
        {
            Assert.Equal(RingStatus.Success, reader.Peek(out _, out ReadOnlySpan<byte> first));
            Assert.True(Frames.Matches(first, 1));
            reader.Skip();
        }

        int header = entry == 0 ? SendData : 624;
        BinaryPrimitives.WriteInt32LittleEndian(buffer.Span[(header + field)..], (int)value);

        Assert.Equal(RingStatus.Corrupt, reader.Peek(out FrameType type, out ReadOnlySpan<byte> frame));
        Assert.Equal(FrameType.Invalid, type);
        Assert.True(frame.IsEmpty, name);
        Assert.Equal(1ul, reader.BadEntries);

        // Recovery: the reader moved to the writer's offset (672 - 64 = 608 from the ring) and published it.
        Assert.Equal(608u, BinaryPrimitives.ReadUInt32LittleEndian(buffer.Span[(SendStruct + 8)..]));
        Assert.Equal(0, reader.PendingBytes);
        Assert.Equal(RingStatus.Empty, reader.Peek(out _, out _));
        Assert.Equal(1ul, reader.BadEntries);

        // What the writer writes next arrives intact.
        Assert.Equal(RingStatus.Success, writer.Write(Frames.Make(3, 100)));
        Assert.Equal(RingStatus.Success, reader.Peek(out type, out frame));
        Assert.True(Frames.Matches(frame, 3) && frame.Length == 100, name);
        buffer.AssertGuardsIntact();
    }

    [Theory]
    [InlineData(0u)]                // the ring structure itself
    [InlineData(8u)]
    [InlineData(511u)]              // one before the data (512 = 576 - 64)
    [InlineData(516u)]              // inside, misaligned
    [InlineData(768u)]              // the end (832 - 64): never a valid offset
    [InlineData(0xFFFFFFF8u)]
    [InlineData(0x7FFFFFF8u)]
    public void A_bad_write_offset_is_counted_once_and_nothing_moves_until_it_is_valid_again(uint bad)
    {
        using var buffer = new GuardedBuffer(IntNetBuffer.RequiredSize(RingSize, RingSize));
        BufferLayout layout = IntNetBuffer.Initialize(buffer.Span, RingSize, RingSize);
        using var writer = new RingWriter(buffer.Pointer, buffer.Length, layout.Send);
        using var reader = new RingReader(buffer.Pointer, buffer.Length, layout.Send);
        Assert.Equal(RingStatus.Success, writer.Write(Frames.Make(1, 30)));

        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Span[(SendStruct + 16)..], bad);
        Assert.Equal(RingStatus.Corrupt, reader.Peek(out _, out _));
        Assert.Equal(RingStatus.Empty, reader.Peek(out _, out _));
        Assert.Equal(RingStatus.Empty, reader.Read(new byte[64], out _, out _));
        Assert.Equal(0, reader.PendingBytes);
        Assert.Equal(1ul, reader.BadEntries);
        Assert.Equal(512u, BinaryPrimitives.ReadUInt32LittleEndian(buffer.Span[(SendStruct + 8)..]));

        // Another bad value is another bad entry.
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Span[(SendStruct + 16)..], 3u);
        Assert.Equal(RingStatus.Corrupt, reader.Peek(out _, out _));
        Assert.Equal(2ul, reader.BadEntries);

        // The writer's next commit publishes a valid offset again: both frames arrive, nothing was lost.
        Assert.Equal(RingStatus.Success, writer.Write(Frames.Make(2, 30)));
        byte[] destination = new byte[64];
        Assert.Equal(RingStatus.Success, reader.Read(destination, out int length, out _));
        Assert.True(Frames.Matches(destination.AsSpan(0, length), 1));
        Assert.Equal(RingStatus.Success, reader.Read(destination, out length, out _));
        Assert.True(Frames.Matches(destination.AsSpan(0, length), 2));
        Assert.Equal(RingStatus.Empty, reader.Read(destination, out _, out _));
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(4u)]
    [InlineData(308u)]              // inside, misaligned
    [InlineData(304u + RingSize)]   // the end
    [InlineData(uint.MaxValue)]
    public void A_bad_read_offset_makes_the_writer_refuse_and_write_nothing(uint bad)
    {
        using var buffer = new GuardedBuffer(IntNetBuffer.RequiredSize(RingSize, RingSize));
        BufferLayout layout = IntNetBuffer.Initialize(buffer.Span, RingSize, RingSize);
        using var writer = new RingWriter(buffer.Pointer, buffer.Length, layout.Receive);
        using var reader = new RingReader(buffer.Pointer, buffer.Length, layout.Receive);
        Assert.Equal(RingStatus.Success, writer.Write(Frames.Make(1, 30)));

        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Span[(16 + 8)..], bad);
        byte[] before = buffer.Span.ToArray();
        Assert.Equal(RingStatus.Corrupt, writer.Write(Frames.Make(2, 30)));
        Assert.Equal(RingStatus.Corrupt, writer.Allocate(8, FrameType.Frame, out Span<byte> frame));
        Assert.True(frame.IsEmpty);
        Assert.Equal(0, writer.FreeBytes);
        Assert.Equal(before, buffer.Span.ToArray());
        Assert.Equal((2ul, 0ul, 1ul), (writer.CorruptReadOffsets, writer.Overflows, writer.FramesWritten));

        // Once the reader publishes a valid offset again, the writer goes on.
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Span[(16 + 8)..], 304);
        Assert.Equal(RingStatus.Success, writer.Write(Frames.Make(2, 30)));
        Assert.Equal(RingStatus.Success, reader.Peek(out _, out ReadOnlySpan<byte> first));
        Assert.True(Frames.Matches(first, 1));
    }

    [Fact]
    public void Random_bytes_in_the_data_and_every_shared_offset_never_break_the_ring_objects()
    {
        long bad = 0;
        long corruptReads = 0;
        long frames = 0;
        Gen.Select(Gen.Int[4, 1024], Gen.Select(Gen.Int[0, 99], Gen.Int, Gen.Int[0, 65535], Gen.UInt).Array[1, 300])
            .Sample(
                (units, ops) =>
                {
                    (long b, long c, long f) = RunHostile(units * 8, ops);
                    Interlocked.Add(ref bad, b);
                    Interlocked.Add(ref corruptReads, c);
                    Interlocked.Add(ref frames, f);
                },
                iter: 1000,
                print: t => $"ring {t.Item1 * 8}, {t.Item2.Length} operations: {string.Join(' ', t.Item2)}");

        // The garbage was noticed, and frames still got through.
        Assert.True(bad > 100, $"only {bad} bad entries counted");
        Assert.True(corruptReads > 100, $"only {corruptReads} refused writes");
        Assert.True(frames > 1000, $"only {frames} frames handed out");
    }

    /// <summary>
    /// One hostile run on the send ring of a buffer: operations of the honest writer and reader
    /// interleaved with a peer's random writes into the ring's data and its structure.
    /// </summary>
    private static (long Bad, long CorruptReads, long Frames) RunHostile(int ring, (int Kind, int A, int B, uint C)[] ops)
    {
        using var buffer = new GuardedBuffer(IntNetBuffer.RequiredSize(64, ring));
        BufferLayout layout = IntNetBuffer.Initialize(buffer.Span, 64, ring);
        RingLayout send = layout.Send;
        using var writer = new RingWriter(buffer.Pointer, buffer.Length, send);
        using var reader = new RingReader(buffer.Pointer, buffer.Length, send);
        byte[] destination = new byte[ring];
        long frames = 0;

        // What the ring objects may write: the ring's data and the fields of its structure.
        byte[] outside = Outside(buffer, send);
        foreach ((int kind, int a, int b, uint c) in ops)
        {
            if (kind < 45)
            {
                Mutate(buffer, send, kind, a, b, c);
                outside = Outside(buffer, send);
                continue;
            }

            if (kind < 65)
            {
                int size = 1 + (b % Math.Max(1, ring));
                RingStatus status = writer.Write(Frames.Make((ulong)a, size), (a & 1) == 0 ? FrameType.Frame : FrameType.Gso);
                Assert.True(status is RingStatus.Success or RingStatus.Overflow or RingStatus.Corrupt, status.ToString());
            }
            else if (kind < 70)
            {
                if (writer.Allocate(1 + (b % 64), FrameType.Padding, out Span<byte> frame) == RingStatus.Success)
                {
                    AssertInside(buffer, send, frame);
                    frame.Fill(0xEE);
                    writer.Commit();
                }
            }
            else if (kind < 85)
            {
                RingStatus status = reader.Peek(out FrameType type, out ReadOnlySpan<byte> frame);
                if (status == RingStatus.Success)
                {
                    AssertInside(buffer, send, frame);
                    Assert.True(type is FrameType.Frame or FrameType.Gso, type.ToString());
                    frames++;
                    reader.Skip();
                }
                else
                {
                    Assert.True(frame.IsEmpty);
                }
            }
            else if (kind < 95)
            {
                RingStatus status = reader.Read(destination.AsSpan(0, b % ring), out int length, out _);
                Assert.True(length <= ring);
                frames += status == RingStatus.Success ? 1 : 0;
            }
            else
            {
                // With the peer idle, a drain ends: each frame moves the offset forward, a bad one
                // drops the rest, and a bad write offset is reported once.
                int calls = 0;
                while (reader.Peek(out _, out ReadOnlySpan<byte> frame) is RingStatus.Success or RingStatus.Corrupt)
                {
                    if (!frame.IsEmpty)
                    {
                        AssertInside(buffer, send, frame);
                        reader.Skip();
                        frames++;
                    }

                    Assert.True(++calls <= (ring / 8) + 2, $"the drain did not end after {calls} calls");
                }
            }

            Assert.True(outside.AsSpan().SequenceEqual(Outside(buffer, send)), $"operation {kind} wrote outside the ring");
            _ = writer.FreeBytes;
            _ = reader.PendingBytes;
        }

        buffer.AssertGuardsIntact();
        return ((long)reader.BadEntries, (long)writer.CorruptReadOffsets, frames);
    }

    /// <summary>The peer's move: random bytes, a plausible header, or a value in one of the ring structure's fields.</summary>
    private static void Mutate(GuardedBuffer buffer, RingLayout ring, int kind, int a, int b, uint c)
    {
        Span<byte> data = buffer.Span.Slice(ring.DataOffset, ring.DataSize);
        Span<byte> structure = buffer.Span.Slice(ring.HeaderOffset, 48);
        int at = (int)((uint)a % (uint)ring.DataSize);
        switch (kind % 5)
        {
            case 0:
                // Random bytes into the data.
                int length = Math.Min(1 + (b % 64), data.Length - at);
                for (int i = 0; i < length; i++)
                {
                    data[at + i] = (byte)(c >> (i % 4 * 8));
                }

                break;
            case 1:
                // A header that looks right at an aligned place: a valid type, a small length,
                // offFrame 8 or the wrap to the start.
                at &= ~7;
                if (at + 8 <= data.Length)
                {
                    byte[] types = [0x42, 0x53, 0x64, 0x42];
                    uint word = (uint)(1 + (b % 300)) | ((uint)types[c % 4] << 24);
                    BinaryPrimitives.WriteUInt32LittleEndian(data[at..], word);
                    BinaryPrimitives.WriteInt32LittleEndian(data[(at + 4)..], (c & 16) == 0 ? 8 : -at);
                }

                break;
            default:
                // A shared field: offStart, offEnd, offReadX, offWriteCom or offWriteInt (or a counter),
                // with an arbitrary value, an aligned one inside the ring, or one at an edge.
                int[] fields = [0, 4, 8, 16, 20, 24, 8, 16];
                int field = fields[(uint)b % fields.Length];
                uint start = ring.SharedStart;
                uint end = ring.SharedEnd;
                uint value = (c % 4) switch
                {
                    0 => c,
                    1 => start + (((uint)a % (end - start)) & ~7u),
                    2 => start + ((uint)a % (end - start)),
                    _ => ((uint)a % 6) switch { 0 => start, 1 => end, 2 => end - 8, 3 => start - 8, 4 => 0, _ => uint.MaxValue },
                };
                BinaryPrimitives.WriteUInt32LittleEndian(structure[field..], value);
                break;
        }
    }

    private static void AssertInside(GuardedBuffer buffer, RingLayout ring, ReadOnlySpan<byte> frame)
    {
        long offset = buffer.OffsetOf(frame);
        Assert.True(offset >= ring.DataOffset && offset + frame.Length <= ring.DataEnd, $"a span of {frame.Length} at {offset} is outside the data area {ring.DataOffset} to {ring.DataEnd}");
    }

    /// <summary>Every byte of the buffer a ring's objects must not write: all but the ring's data and its structure's offset and counter fields.</summary>
    private static byte[] Outside(GuardedBuffer buffer, RingLayout ring)
    {
        byte[] copy = buffer.Span.ToArray();
        copy.AsSpan(ring.DataOffset, ring.DataSize).Clear();
        copy.AsSpan(ring.HeaderOffset + 8, 4).Clear();   // offReadX
        copy.AsSpan(ring.HeaderOffset + 16, 32).Clear(); // offWriteCom, offWriteInt, the three counters
        return copy;
    }
}
