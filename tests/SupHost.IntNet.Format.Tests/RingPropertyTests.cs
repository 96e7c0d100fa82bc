using CsCheck;

namespace SupHost.IntNet.Format.Tests;

/// <summary>
/// One producer and one consumer on one thread, against a model that knows only what a ring must
/// do: deliver every accepted frame byte-exact and in order. The space bounds are first principles
/// of a ring of R bytes whose entries are 8-aligned and 8-byte headed, one byte never used: an
/// n-byte frame needs e = align8(n) + 8 bytes and wastes less than e more when it wraps, so a write
/// succeeds only with e free, must succeed with 2e free, and free + pending is R - 1.
/// </summary>
public unsafe class RingPropertyTests
{
    private enum Kind
    {
        Write,
        Read,
        Drain,
    }

    private readonly record struct Op(Kind Kind, int Size)
    {
        public override string ToString() => Kind == Kind.Write ? $"W{Size}" : Kind.ToString();
    }

    [Fact]
    public void Random_writes_and_reads_deliver_every_accepted_frame_byte_exact_and_in_order()
    {
        long overflows = 0;
        long wraps = 0;
        Gen.Frequency(
                (3, Gen.Int[4, 64]),        // rings of 32 to 512 bytes: every frame is near an edge
                (3, Gen.Int[65, 2048]),     // up to 16 KiB
                (1, Gen.Int[2049, 20000]))  // up to 160 KiB
            .Select(units => units * 8)
            .SelectMany(ring => Operation(ring).Array[1, 400].Select(ops => (ring, ops)))
            .Sample(
                (ring, ops) =>
                {
                    (long o, long w) = Run(ring, ops);
                    Interlocked.Add(ref overflows, o);
                    Interlocked.Add(ref wraps, w);
                },
                iter: 400,
                print: t => $"ring {t.Item1}: {string.Join(' ', t.Item2)}");

        // The generator reached what the test is about.
        Assert.True(overflows > 100, $"only {overflows} overflows");
        Assert.True(wraps > 100, $"only {wraps} wraps");
    }

    [Fact]
    public void Every_size_from_14_to_16384_in_steps_of_8_and_some_up_to_65535_wraps_around_both_rings()
    {
        int[] sizes = [.. Enumerable.Range(0, 2047).Select(i => 14 + (8 * i)), 1, 7, 8, 9, 16384, 16385, 32767, 32768, 40001, 65000, 65535];
        foreach (int size in sizes)
        {
            int entry = Frames.Round8(size) + 8;

            // Small rings, each a few frames long and of varying slack so the wrap falls at every
            // phase; at least 2e - 8, so that an empty ring takes any frame wherever its offsets are.
            int ring = (2 * entry) + (8 * (size / 8 % 6));
            using var buffer = new GuardedBuffer(IntNetBuffer.RequiredSize(ring, ring));
            BufferLayout layout = IntNetBuffer.Initialize(buffer.Span, ring, ring);
            using var receive = new Channel(buffer, layout.Receive);
            using var send = new Channel(buffer, layout.Send);

            // Write until full, read one, again: more than three rings' worth, every frame byte-exact,
            // none lost (a refused frame is written again after the next read).
            int rounds = (3 * ring / entry) + 4;
            for (int i = 0; i < rounds; i++)
            {
                receive.FillThenReadOne(size);
                send.FillThenReadOne(size);
            }

            receive.Drain();
            send.Drain();
            Assert.True(receive.Wraps >= 2 && send.Wraps >= 2, $"size {size}, ring {ring}: {receive.Wraps} and {send.Wraps} wraps");
            Assert.Equal(receive.Written, (ulong)receive.Reader.FramesRead);
            Assert.True(receive.Written >= (ulong)rounds, $"size {size}: only {receive.Written} frames");
            buffer.AssertGuardsIntact();
        }
    }

    [Fact]
    public void A_full_ring_overflows_counts_it_and_leaves_what_was_written_intact()
    {
        const int Ring = 4096;
        using var buffer = new GuardedBuffer(IntNetBuffer.RequiredSize(Ring, Ring));
        BufferLayout layout = IntNetBuffer.Initialize(buffer.Span, Ring, Ring);
        using var writer = new RingWriter(buffer.Pointer, buffer.Length, layout.Send);
        using var reader = new RingReader(buffer.Pointer, buffer.Length, layout.Send);
        Assert.Equal(Ring - 1, writer.FreeBytes);
        Assert.Equal(0, reader.PendingBytes);

        // Fill with frames of varied sizes until one is refused.
        var rng = new Random(14);
        var written = new List<byte[]>();
        byte[] refused;
        while (true)
        {
            byte[] frame = Frames.Make((ulong)written.Count, rng.Next(1, 600));
            if (writer.Write(frame) != RingStatus.Success)
            {
                refused = frame;
                break;
            }

            written.Add(frame);
        }

        // The refusal changed nothing but the overflow counter (ring offset 40, buffer 64 + 40),
        // and refuses again while nothing was read.
        byte[] before = buffer.Span.ToArray();
        Assert.Equal(RingStatus.Overflow, writer.Write(refused));
        Assert.Equal(2ul, writer.Overflows);
        byte[] after = buffer.Span.ToArray();
        after.AsSpan(104, 8).CopyTo(before.AsSpan(104));
        Assert.Equal(before, after);
        Assert.True(writer.FreeBytes < 2 * (Frames.Round8(refused.Length) + 8));

        // Everything written comes back, in order, byte-exact; then the ring is empty.
        byte[] destination = new byte[600];
        foreach (byte[] frame in written)
        {
            Assert.Equal(RingStatus.Success, reader.Read(destination, out int length, out FrameType type));
            Assert.Equal(FrameType.Frame, type);
            Assert.True(destination.AsSpan(0, length).SequenceEqual(frame));
        }

        Assert.Equal(RingStatus.Empty, reader.Read(destination, out _, out _));
        Assert.Equal(Ring - 1, writer.FreeBytes);
        Assert.Equal((ulong)written.Count, writer.FramesWritten);
        Assert.Equal((ulong)written.Sum(f => f.Length), writer.BytesWritten);
        buffer.AssertGuardsIntact();
    }

    [Fact]
    public void Peek_skip_and_a_small_destination_leave_the_frame_where_it_was()
    {
        using var buffer = new GuardedBuffer(IntNetBuffer.RequiredSize(256, 256));
        BufferLayout layout = IntNetBuffer.Initialize(buffer.Span, 256, 256);
        using var writer = new RingWriter(buffer.Pointer, buffer.Length, layout.Receive);
        using var reader = new RingReader(buffer.Pointer, buffer.Length, layout.Receive);
        Assert.Throws<InvalidOperationException>(reader.Skip);

        Assert.Equal(RingStatus.Success, writer.Allocate(40, FrameType.Gso, out Span<byte> allocated));
        Frames.Fill(allocated, 7);
        Assert.Equal(RingStatus.Empty, reader.Peek(out _, out _)); // not before the commit
        Assert.Throws<InvalidOperationException>(() => writer.Allocate(8, FrameType.Frame, out _));
        writer.Commit();
        Assert.Throws<InvalidOperationException>(writer.Commit);

        Assert.Equal(RingStatus.DestinationTooSmall, reader.Read(new byte[39], out int length, out FrameType type));
        Assert.Equal((40, FrameType.Gso), (length, type));
        Assert.Equal(RingStatus.Success, reader.Peek(out type, out ReadOnlySpan<byte> first));
        Assert.Equal(RingStatus.Success, reader.Peek(out _, out ReadOnlySpan<byte> again));
        Assert.Equal(buffer.OffsetOf(first), buffer.OffsetOf(again));
        Assert.True(Frames.Matches(first, 7));
        reader.Skip();
        Assert.Equal(RingStatus.Empty, reader.Peek(out _, out _));

        // An abandoned allocation is never seen, and its space is free again.
        Assert.Equal(RingStatus.Success, writer.Allocate(200, FrameType.Frame, out _));
        writer.Abandon();
        Assert.Equal(RingStatus.Empty, reader.Peek(out _, out _));
        Assert.Equal(255, writer.FreeBytes);
        Assert.Equal(RingStatus.Success, writer.Write(Frames.Make(8, 200)));
        Assert.Equal(RingStatus.Success, reader.Peek(out _, out ReadOnlySpan<byte> next));
        Assert.True(Frames.Matches(next, 8));

        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Write([]));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Allocate(0x1000000, FrameType.Frame, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Write(new byte[14], FrameType.Invalid));
    }

    [Fact]
    public void Writers_and_readers_refuse_layouts_outside_their_buffer()
    {
        using var buffer = new GuardedBuffer(IntNetBuffer.RequiredSize(64, 64));
        int length = buffer.Length;
        Assert.Throws<ArgumentException>(() => new RingWriter(buffer.Pointer, length, new RingLayout(16, 320, length)));
        Assert.Throws<ArgumentException>(() => new RingReader(buffer.Pointer, length, new RingLayout(16, 324, 64)));
        Assert.Throws<ArgumentException>(() => new RingReader(buffer.Pointer, length, new RingLayout(16, 40, 64)));
        Assert.Throws<ArgumentException>(() => new RingWriter(buffer.Pointer, length, new RingLayout(length - 40, length - 40, 64)));
        Assert.Throws<ArgumentException>(() => new RingWriter(buffer.Pointer + 4, length - 4, new RingLayout(16, 320, 64)));
        Assert.Throws<ArgumentException>(() => new RingReader(new Memory<byte>(new byte[100]), new RingLayout(16, 64, 64)));
    }

    private static Gen<Op> Operation(int ring) =>
        Gen.Frequency(
            (5, Gen.Const(new Op(Kind.Read, 0))),
            (1, Gen.Const(new Op(Kind.Drain, 0))),
            (4, Gen.Int[1, 64].Select(Write)),
            (2, Gen.Int[65, 1600].Select(Write)),
            (1, Gen.Int[1, 65535].Select(Write)),
            (2, Gen.Int[-40, 8].Select(d => Write(ring - 8 + d))),          // about the whole ring
            (1, Gen.Int[-24, 24].Select(d => Write((ring / 2) - 8 + d))));  // about half of it

    private static Op Write(int size) => new(Kind.Write, Math.Clamp(size, 1, 65535));

    /// <summary>Runs one case; returns the overflows and the wraps it saw.</summary>
    private static (long Overflows, long Wraps) Run(int ring, Op[] ops)
    {
        using var buffer = new GuardedBuffer(IntNetBuffer.RequiredSize(ring, 64));
        BufferLayout layout = IntNetBuffer.Initialize(buffer.Span, ring, 64);
        using var channel = new Channel(buffer, layout.Receive);
        foreach (Op op in ops)
        {
            switch (op.Kind)
            {
                case Kind.Write:
                    channel.TryWrite(op.Size);
                    break;
                case Kind.Read:
                    channel.ReadOne();
                    break;
                default:
                    channel.Drain();
                    break;
            }
        }

        channel.Drain();
        Assert.Equal(channel.Written, channel.Reader.FramesRead);
        Assert.Equal(channel.Overflows, (long)channel.Writer.Overflows);
        Assert.Equal(0ul, channel.Reader.BadEntries);
        buffer.AssertGuardsIntact();
        return (channel.Overflows, channel.Wraps);
    }

    /// <summary>A ring's writer and reader, and the model: the frames accepted and not yet read.</summary>
    private sealed class Channel : IDisposable
    {
        private readonly GuardedBuffer _buffer;
        private readonly Queue<(ulong Sequence, int Length)> _pending = new();
        private readonly int _capacity;
        private readonly byte[] _destination = new byte[65535];
        private ulong _next;
        private long _lastOffset = -1;

        public Channel(GuardedBuffer buffer, RingLayout ring)
        {
            _buffer = buffer;
            _capacity = ring.DataSize;
            Writer = new RingWriter(buffer.Pointer, buffer.Length, ring);
            Reader = new RingReader(buffer.Pointer, buffer.Length, ring);
            AssertSpaceAddsUp();
        }

        public RingWriter Writer { get; }

        public RingReader Reader { get; }

        public ulong Written { get; private set; }

        public long Overflows { get; private set; }

        public long Wraps { get; private set; }

        public bool TryWrite(int size)
        {
            int entry = Frames.Round8(size) + 8;
            int free = Writer.FreeBytes;
            int pending = Reader.PendingBytes;
            RingStatus status = Writer.Write(Frames.Make(_next, size));
            int grown = Reader.PendingBytes - pending;
            if (status == RingStatus.Success)
            {
                Assert.True(free >= entry, $"a {size}-byte frame was accepted with only {free} bytes free");
                Assert.True(grown >= entry && grown < 2 * entry, $"a {size}-byte frame took {grown} bytes");
                _pending.Enqueue((_next++, size));
                Written++;
            }
            else
            {
                Assert.Equal(RingStatus.Overflow, status);
                Assert.True(free < 2 * entry, $"a {size}-byte frame was refused with {free} bytes free");
                Assert.Equal(0, grown);
                Overflows++;
            }

            AssertSpaceAddsUp();
            return status == RingStatus.Success;
        }

        public void ReadOne()
        {
            int pending = Reader.PendingBytes;
            RingStatus status = Reader.Peek(out FrameType type, out ReadOnlySpan<byte> frame);
            if (!_pending.TryDequeue(out (ulong Sequence, int Length) expected))
            {
                Assert.Equal(RingStatus.Empty, status);
                Assert.Equal(0, pending);
                return;
            }

            Assert.Equal(RingStatus.Success, status);
            Assert.Equal(FrameType.Frame, type);
            Assert.Equal(expected.Length, frame.Length);
            Assert.True(Frames.Matches(frame, expected.Sequence), $"frame {expected.Sequence} ({expected.Length} bytes) differs");

            // Inside the ring's data area.
            long offset = _buffer.OffsetOf(frame);
            RingLayout ring = Reader.Layout;
            Assert.True(offset >= ring.DataOffset && offset + frame.Length <= ring.DataEnd, $"frame at {offset} outside the data area");
            if (offset < _lastOffset)
            {
                Wraps++;
            }

            _lastOffset = offset;
            Reader.Skip();
            int entry = Frames.Round8(expected.Length) + 8;
            int shrunk = pending - Reader.PendingBytes;
            Assert.True(shrunk >= entry && shrunk < 2 * entry, $"reading a {expected.Length}-byte frame freed {shrunk} bytes");
            AssertSpaceAddsUp();
        }

        public void Drain()
        {
            while (_pending.Count > 0)
            {
                ReadOne();
            }

            Assert.Equal(RingStatus.Empty, Reader.Read(_destination, out _, out _));
            Assert.Equal(0, Reader.PendingBytes);
        }

        /// <summary>Writes frames of one size until the ring refuses one, then reads one; the refused frame is the next one written.</summary>
        public void FillThenReadOne(int size)
        {
            int written = 0;
            while (TryWrite(size))
            {
                written++;
            }

            // An empty ring at least 2e - 8 long takes the frame wherever its offsets stand.
            Assert.True(written > 0 || _pending.Count > 0, $"an empty ring of {_capacity} refused a {size}-byte frame");
            ReadOne();
        }

        public void Dispose()
        {
            Writer.Dispose();
            Reader.Dispose();
        }

        private void AssertSpaceAddsUp() =>
            Assert.Equal(_capacity - 1, Writer.FreeBytes + Reader.PendingBytes);
    }
}
