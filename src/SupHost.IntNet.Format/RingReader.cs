using System.Buffers;
using SupHost.IntNet.Format.Internal;

namespace SupHost.IntNet.Format;

/// <summary>
/// The consumer of one ring (the switch for a send ring, the client for a receive ring), made to
/// survive a writer that writes anything at any moment. It keeps the ring's bounds and its own read
/// offset privately and only publishes the offset; the shared values it reads, the writer's
/// offWriteCom and the entry headers, it reads once per operation into locals and checks against
/// its private bounds before following them. A frame it hands out lies wholly inside the data area
/// and inside what the writer committed.
/// </summary>
/// <remarks>
/// <para>
/// A bad entry (an unknown type, a zero length, an offFrame other than 8 or the wrap to the start,
/// a frame running past what was committed or past the data area) is dropped together with
/// everything pending after it: the reader moves its offset to the offWriteCom it read, publishes
/// it, counts one in <see cref="BadEntries"/> and answers <see cref="RingStatus.Corrupt"/>. An
/// offWriteCom outside the data area or not 8-aligned cannot be skipped to: the reader keeps its
/// offset, counts it once and answers <see cref="RingStatus.Corrupt"/>, then
/// <see cref="RingStatus.Empty"/> while offWriteCom keeps that value. So every call ends, and a
/// loop that reads until <see cref="RingStatus.Empty"/> ends unless the writer keeps publishing.
/// </para>
/// <para>
/// <see cref="Peek"/> hands out a span of shared memory, which the writer can change while the
/// caller looks at it (a hostile writer can, an honest one does not touch committed frames). A
/// caller that validates a frame's contents (a GSO context, an Ethernet header) and then acts on
/// them copies them first, or uses <see cref="Read"/>, which copies the frame out.
/// </para>
/// <para>
/// Made for a ring as <see cref="IntNetBuffer.Initialize"/> left it (empty, every offset at the
/// start). One thread at a time: a reader holds no lock (there is one consumer per ring).
/// </para>
/// </remarks>
public sealed unsafe class RingReader : IDisposable
{
    private readonly SharedRing _ring;
    private MemoryHandle _pin;
    private bool _disposed;
    private int _read;
    private bool _peeked;
    private FrameType _peekedType;
    private int _peekedAt;
    private int _peekedLength;
    private int _peekedNext;
    private bool _badWriteReported;
    private uint _badWrite;

    /// <summary>Makes the reader of <paramref name="ring"/> in the buffer at <paramref name="buffer"/> (8-byte aligned), which must stay mapped while the reader is used.</summary>
    /// <exception cref="ArgumentException">The layout does not lie inside the buffer, or the buffer is not 8-byte aligned.</exception>
    public RingReader(byte* buffer, int length, RingLayout ring)
    {
        _ring = new SharedRing(buffer, length, ring);
        _read = _ring.Start;
    }

    /// <summary>Makes the reader of <paramref name="ring"/> in <paramref name="buffer"/>, which it pins until it is disposed.</summary>
    /// <exception cref="ArgumentException">The layout does not lie inside the buffer, or the buffer is not 8-byte aligned.</exception>
    public RingReader(Memory<byte> buffer, RingLayout ring)
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

        _read = _ring.Start;
    }

    /// <summary>The ring this reader reads, as its creator set it.</summary>
    public RingLayout Layout => _ring.Layout;

    /// <summary>Frames consumed (Frame and Gso entries; padding is not counted).</summary>
    public ulong FramesRead { get; private set; }

    /// <summary>Frame bytes consumed.</summary>
    public ulong BytesRead { get; private set; }

    /// <summary>Times the reader answered <see cref="RingStatus.Corrupt"/>: bad entries dropped, invalid offWriteCom values seen.</summary>
    public ulong BadEntries { get; private set; }

    /// <summary>
    /// The bytes pending as of the writer's published offWriteCom (read once), headers and padding
    /// included: an n-byte frame is align8(n) + 8 of them, plus the wasted tail of the data area
    /// when it wrapped. 0 when offWriteCom is invalid.
    /// </summary>
    public int PendingBytes
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int write = _ring.ToBufferOffset(_ring.Read(IntNetBuffer.RingWriteCommittedOffset));
            if (write < 0)
            {
                return 0;
            }

            return _read <= write ? write - _read : _ring.End - _read + write - _ring.Start;
        }
    }

    /// <summary>
    /// Finds the next frame without consuming it: skips padding, checks the entry, and hands out
    /// its bytes in the ring. Peeking again before <see cref="Skip"/> returns the same frame.
    /// </summary>
    /// <param name="type"><see cref="FrameType.Frame"/> or <see cref="FrameType.Gso"/> on success, else <see cref="FrameType.Invalid"/>.</param>
    /// <param name="frame">The frame's bytes, on success: inside the data area, and shared (see the remarks on the class).</param>
    /// <returns><see cref="RingStatus.Success"/>, <see cref="RingStatus.Empty"/> or <see cref="RingStatus.Corrupt"/> (what was pending was dropped).</returns>
    public RingStatus Peek(out FrameType type, out ReadOnlySpan<byte> frame)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_peeked)
        {
            RingStatus status = FindNext();
            if (status != RingStatus.Success)
            {
                type = FrameType.Invalid;
                frame = default;
                return status;
            }
        }

        type = _peekedType;
        frame = _ring.Slice(_peekedAt, _peekedLength);
        return RingStatus.Success;
    }

    /// <summary>
    /// Consumes the frame <see cref="Peek"/> found: moves the read offset past it by the values
    /// checked then (never by re-reading the header) and publishes it with a release store, after
    /// which the writer may reuse the space: do not use the peeked span after this.
    /// </summary>
    /// <exception cref="InvalidOperationException">No frame was peeked.</exception>
    public void Skip()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_peeked)
        {
            throw new InvalidOperationException("no frame was peeked: Peek must succeed before Skip");
        }

        _peeked = false;
        FramesRead++;
        BytesRead += (ulong)_peekedLength;
        MoveTo(_peekedNext);
    }

    /// <summary>Copies the next frame into <paramref name="destination"/> and consumes it.</summary>
    /// <param name="destination">Where the frame goes.</param>
    /// <param name="length">The frame's length on success or with <see cref="RingStatus.DestinationTooSmall"/>; else 0.</param>
    /// <param name="type">The frame's type on success or with <see cref="RingStatus.DestinationTooSmall"/>; else <see cref="FrameType.Invalid"/>.</param>
    /// <returns>
    /// <see cref="RingStatus.Success"/>, <see cref="RingStatus.Empty"/>, <see cref="RingStatus.Corrupt"/>,
    /// or <see cref="RingStatus.DestinationTooSmall"/> (the frame stays pending).
    /// </returns>
    public RingStatus Read(Span<byte> destination, out int length, out FrameType type)
    {
        RingStatus status = Peek(out type, out ReadOnlySpan<byte> frame);
        length = frame.Length;
        if (status != RingStatus.Success)
        {
            return status;
        }

        if (frame.Length > destination.Length)
        {
            return RingStatus.DestinationTooSmall;
        }

        frame.CopyTo(destination);
        Skip();
        return RingStatus.Success;
    }

    /// <summary>Unpins the buffer (when the reader pinned it); the reader is unusable after.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _pin.Dispose();
        }
    }

    private RingStatus FindNext()
    {
        // The writer's offset, once per operation, with acquire semantics: the entries before it are
        // visible once it is. An offset outside the data area cannot even be skipped to.
        uint shared = _ring.Read(IntNetBuffer.RingWriteCommittedOffset);
        int write = _ring.ToBufferOffset(shared);
        if (write < 0)
        {
            if (_badWriteReported && shared == _badWrite)
            {
                return RingStatus.Empty;
            }

            _badWriteReported = true;
            _badWrite = shared;
            BadEntries++;
            return RingStatus.Corrupt;
        }

        _badWriteReported = false;

        // Each entry before it: the header's two fields read once into locals, then checked. Every
        // step moves the offset forward towards the writer's, so the loop ends.
        while (_read != write)
        {
            int header = _read;
            uint word = _ring.ReadData32(header);
            int frameOffset = (int)_ring.ReadData32(header + 4);
            int length = (int)(word & IntNetBuffer.MaxFrameSize);
            var type = (FrameType)(word >> 24);
            if (type is not (FrameType.Frame or FrameType.Padding or FrameType.Gso) || length == 0
                || !TryLocate(header, write, length, frameOffset, out int frameAt, out int next))
            {
                // Recovery: drop everything pending, up to the offset the writer published.
                BadEntries++;
                MoveTo(write);
                return RingStatus.Corrupt;
            }

            if (type == FrameType.Padding)
            {
                MoveTo(next);
                continue;
            }

            _peeked = true;
            _peekedType = type;
            _peekedAt = frameAt;
            _peekedLength = length;
            _peekedNext = next;
            return RingStatus.Success;
        }

        return RingStatus.Empty;
    }

    /// <summary>
    /// Where the frame of the entry at <paramref name="header"/> lies and where the next entry
    /// starts, if the entry is one a writer can have made: offFrame 8 (the frame right after the
    /// header) or the wrap (the header's offset back to the data area's start, used only when the
    /// committed data wraps), the frame in either case inside what was committed.
    /// </summary>
    private bool TryLocate(int header, int write, int length, int frameOffset, out int frameAt, out int next)
    {
        long aligned = IntNetBuffer.Align(length);
        if (frameOffset == IntNetBuffer.FrameHeaderSize)
        {
            // Committed data runs to the writer's offset, or, when it wraps, to the end first.
            long frameEnd = header + IntNetBuffer.FrameHeaderSize + aligned;
            if (frameEnd <= (header < write ? write : _ring.End))
            {
                frameAt = header + IntNetBuffer.FrameHeaderSize;
                next = frameEnd == _ring.End ? _ring.Start : (int)frameEnd;
                return true;
            }
        }
        else if (frameOffset < 0 && header + (long)frameOffset == _ring.Start && header > write)
        {
            // The wrap: the frame at the start, before the writer's offset; the next entry right after it.
            long frameEnd = _ring.Start + aligned;
            if (frameEnd <= write)
            {
                frameAt = _ring.Start;
                next = (int)frameEnd;
                return true;
            }
        }

        frameAt = 0;
        next = 0;
        return false;
    }

    private void MoveTo(int offset)
    {
        _read = offset;
        _ring.PublishOffset(IntNetBuffer.RingReadOffset, offset);
    }
}
