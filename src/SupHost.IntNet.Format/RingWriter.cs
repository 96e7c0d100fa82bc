using System.Buffers;
using SupHost.IntNet.Format.Internal;

namespace SupHost.IntNet.Format;

/// <summary>
/// The producer of one ring (the switch for a receive ring, the client for a send ring). It keeps
/// the ring's bounds and its own write offset privately and only publishes them; the one shared
/// value it reads is the reader's offReadX, once per operation, and a value outside the ring or not
/// 8-aligned makes it refuse to write (<see cref="RingStatus.Corrupt"/>) rather than guess. It never
/// writes outside the ring's data area and its own ring structure.
/// </summary>
/// <remarks>
/// Made for a ring as <see cref="IntNetBuffer.Initialize"/> left it (empty, every offset at the
/// start). One thread at a time: a writer holds no lock, and two threads writing through it at once
/// corrupt the ring (there is one producer per ring).
/// </remarks>
public sealed unsafe class RingWriter : IDisposable
{
    private readonly SharedRing _ring;
    private MemoryHandle _pin;
    private bool _disposed;
    private int _write;
    private int _allocatedNext = -1;
    private int _allocatedSize;

    /// <summary>Makes the writer of <paramref name="ring"/> in the buffer at <paramref name="buffer"/> (8-byte aligned), which must stay mapped while the writer is used.</summary>
    /// <exception cref="ArgumentException">The layout does not lie inside the buffer, or the buffer is not 8-byte aligned.</exception>
    public RingWriter(byte* buffer, int length, RingLayout ring)
    {
        _ring = new SharedRing(buffer, length, ring);
        _write = _ring.Start;
    }

    /// <summary>Makes the writer of <paramref name="ring"/> in <paramref name="buffer"/>, which it pins until it is disposed.</summary>
    /// <exception cref="ArgumentException">The layout does not lie inside the buffer, or the buffer is not 8-byte aligned.</exception>
    public RingWriter(Memory<byte> buffer, RingLayout ring)
    {
        _pin = buffer.Pin();
        try
        {
            _ring = new SharedRing((byte*)_pin.Pointer, buffer.Length, ring);
        }
        catch
        {
            _pin.Dispose();
            throw;
        }

        _write = _ring.Start;
    }

    /// <summary>The ring this writer writes, as its creator set it.</summary>
    public RingLayout Layout => _ring.Layout;

    /// <summary>Frame bytes committed (the frames' lengths, not their padding or headers).</summary>
    public ulong BytesWritten { get; private set; }

    /// <summary>Frames committed.</summary>
    public ulong FramesWritten { get; private set; }

    /// <summary>Frames refused with <see cref="RingStatus.Overflow"/>.</summary>
    public ulong Overflows { get; private set; }

    /// <summary>Operations refused with <see cref="RingStatus.Corrupt"/>: the reader's published offset was invalid.</summary>
    public ulong CorruptReadOffsets { get; private set; }

    /// <summary>
    /// The bytes free as of the reader's published offset (read once): the data area less what is
    /// pending and less the one byte never used. A frame of n bytes takes align8(n) + 8 of them, and
    /// one that does not fit before the end of the data area wastes the rest up to the end. 0 when
    /// the reader's offset is invalid.
    /// </summary>
    public int FreeBytes
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int read = _ring.ToBufferOffset(_ring.Read(IntNetBuffer.RingReadOffset));
            if (read < 0)
            {
                return 0;
            }

            int write = _allocatedNext >= 0 ? _allocatedNext : _write;
            return read <= write ? _ring.End - write + read - _ring.Start - 1 : read - write - 1;
        }
    }

    /// <summary>Writes one frame: <see cref="Allocate"/>, copy, <see cref="Commit"/>.</summary>
    /// <returns><see cref="RingStatus.Success"/>, <see cref="RingStatus.Overflow"/> or <see cref="RingStatus.Corrupt"/>; nothing is written unless it succeeds.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The frame is empty or longer than <see cref="IntNetBuffer.MaxFrameSize"/>, or the type is not a frame type.</exception>
    /// <exception cref="InvalidOperationException">An allocation is outstanding.</exception>
    public RingStatus Write(ReadOnlySpan<byte> frame, FrameType type = FrameType.Frame)
    {
        RingStatus status = Allocate(frame.Length, type, out Span<byte> destination);
        if (status == RingStatus.Success)
        {
            frame.CopyTo(destination);
            Commit();
        }

        return status;
    }

    /// <summary>
    /// Reserves an entry for a frame of <paramref name="size"/> bytes and writes its header; the
    /// caller fills <paramref name="frame"/> (gathering it from several places, say) and then
    /// calls <see cref="Commit"/>, which publishes it, or <see cref="Abandon"/>. The reader sees
    /// nothing of it before the commit.
    /// </summary>
    /// <param name="size">The frame's length, 1 to <see cref="IntNetBuffer.MaxFrameSize"/> (a GSO frame's includes its 8-byte context).</param>
    /// <param name="type">The entry's type.</param>
    /// <param name="frame">The frame's bytes in the ring, when it succeeds: exactly <paramref name="size"/> bytes inside the data area.</param>
    /// <returns>
    /// <see cref="RingStatus.Success"/>; <see cref="RingStatus.Overflow"/> when it does not fit
    /// (counted in <see cref="Overflows"/> and the ring's shared cOverflows);
    /// <see cref="RingStatus.Corrupt"/> when the reader's published offset is invalid (counted in
    /// <see cref="CorruptReadOffsets"/>).
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException">The size or the type is out of range.</exception>
    /// <exception cref="InvalidOperationException">An allocation is outstanding.</exception>
    public RingStatus Allocate(int size, FrameType type, out Span<byte> frame)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, IntNetBuffer.MaxFrameSize);
        if (type is not (FrameType.Frame or FrameType.Padding or FrameType.Gso))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "the type must be Frame, Padding or Gso");
        }

        if (_allocatedNext >= 0)
        {
            throw new InvalidOperationException("an allocation is outstanding: commit or abandon it first");
        }

        frame = default;

        // The one shared value a writer reads: the reader's offset, once, checked against the private bounds.
        int read = _ring.ToBufferOffset(_ring.Read(IntNetBuffer.RingReadOffset));
        if (read < 0)
        {
            CorruptReadOffsets++;
            return RingStatus.Corrupt;
        }

        // Where the header and the frame go. Every case leaves the new write offset different from
        // the read offset (a full ring must not look empty), so one byte of the ring is never used.
        int start = _ring.Start;
        int end = _ring.End;
        int write = _write;
        int cb = (int)IntNetBuffer.Align(size);
        int entry = cb + IntNetBuffer.FrameHeaderSize;
        int frameAt;
        int next;
        if (read <= write)
        {
            if (end - write >= entry && (end - write > entry || read > start))
            {
                // Contiguous after the header; ending exactly at the end wraps the offset to the start
                // (unless the reader sits at the start, which that would overtake).
                frameAt = write + IntNetBuffer.FrameHeaderSize;
                next = write + entry == end ? start : write + entry;
            }
            else if (read - start > cb)
            {
                // The header stays at the write offset (8-aligned, so it always fits before the end),
                // the frame goes to the start of the data area: a negative offFrame. The bytes after
                // the header up to the end are wasted until the reader passes them.
                frameAt = start;
                next = start + cb;
            }
            else
            {
                return Overflowed();
            }
        }
        else if (read - write > entry)
        {
            frameAt = write + IntNetBuffer.FrameHeaderSize;
            next = write + entry;
        }
        else
        {
            return Overflowed();
        }

        _ring.WriteHeader(write, size, type, frameAt - write);
        _ring.PublishOffset(IntNetBuffer.RingWriteInternalOffset, next);
        _allocatedNext = next;
        _allocatedSize = size;
        frame = _ring.Slice(frameAt, size);
        return RingStatus.Success;
    }

    /// <summary>
    /// Publishes the allocated frame: a release store of offWriteCom after the header and the frame's
    /// bytes, so a reader that acquires offWriteCom sees them; then the counters.
    /// </summary>
    /// <exception cref="InvalidOperationException">No allocation is outstanding.</exception>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_allocatedNext < 0)
        {
            throw new InvalidOperationException("no allocation is outstanding");
        }

        _write = _allocatedNext;
        _allocatedNext = -1;
        _ring.PublishOffset(IntNetBuffer.RingWriteCommittedOffset, _write);
        BytesWritten += (ulong)_allocatedSize;
        FramesWritten++;
        _ring.Publish64(IntNetBuffer.RingBytesWrittenOffset, BytesWritten);
        _ring.Publish64(IntNetBuffer.RingFramesOffset, FramesWritten);
    }

    /// <summary>Drops the outstanding allocation: the reader never sees it, and the space is free again.</summary>
    /// <exception cref="InvalidOperationException">No allocation is outstanding.</exception>
    public void Abandon()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_allocatedNext < 0)
        {
            throw new InvalidOperationException("no allocation is outstanding");
        }

        _allocatedNext = -1;
        _ring.PublishOffset(IntNetBuffer.RingWriteInternalOffset, _write);
    }

    /// <summary>Unpins the buffer (when the writer pinned it); the writer is unusable after.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _pin.Dispose();
        }
    }

    private RingStatus Overflowed()
    {
        Overflows++;
        _ring.Publish64(IntNetBuffer.RingOverflowsOffset, Overflows);
        return RingStatus.Overflow;
    }
}
