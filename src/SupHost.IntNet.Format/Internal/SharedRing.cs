using System.Runtime.CompilerServices;

namespace SupHost.IntNet.Format.Internal;

/// <summary>
/// One ring of a buffer both sides map: the base pointer and the ring's bounds, fixed when the
/// writer or reader was made, and the only ways they touch shared memory. Every shared read is a
/// volatile read (an acquire, and exactly one load: the compiler may neither repeat nor drop it),
/// every shared write a volatile write (a release).
/// </summary>
internal readonly unsafe struct SharedRing
{
    private readonly byte* _base;

    public SharedRing(byte* buffer, int length, RingLayout layout)
    {
        if (buffer is null)
        {
            throw new ArgumentNullException(nameof(buffer));
        }

        // The shared u32 and u64 fields must be naturally aligned for their loads and stores to be atomic.
        if (((nuint)buffer & (IntNetBuffer.Alignment - 1)) != 0)
        {
            throw new ArgumentException($"the buffer at 0x{(nuint)buffer:x} is not {IntNetBuffer.Alignment}-byte aligned", nameof(buffer));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(length);
        string? problem = Check(length, layout);
        if (problem is not null)
        {
            throw new ArgumentException(problem, nameof(layout));
        }

        _base = buffer;
        Layout = layout;
        Start = layout.DataOffset;
        End = layout.DataEnd;
    }

    public RingLayout Layout { get; }

    /// <summary>The data area's first byte, from the buffer's start (private: never re-read from shared memory).</summary>
    public int Start { get; }

    /// <summary>The first byte after the data area.</summary>
    public int End { get; }

    public int Capacity => End - Start;

    /// <summary>Reads a u32 field of the ring structure once, with acquire semantics.</summary>
    public uint Read(int field) => Volatile.Read(ref Unsafe.AsRef<uint>(_base + Layout.HeaderOffset + field));

    /// <summary>Reads a u32 at a buffer offset inside the data area once, with acquire semantics.</summary>
    public uint ReadData32(int offset) => Volatile.Read(ref Unsafe.AsRef<uint>(_base + offset));

    /// <summary>Publishes a u32 field of the ring structure, with release semantics.</summary>
    public void Publish(int field, uint value) => Volatile.Write(ref Unsafe.AsRef<uint>(_base + Layout.HeaderOffset + field), value);

    /// <summary>Publishes a u64 counter of the ring structure.</summary>
    public void Publish64(int field, ulong value) => Volatile.Write(ref Unsafe.AsRef<ulong>(_base + Layout.HeaderOffset + field), value);

    /// <summary>Publishes a buffer offset inside the data area as the ring structure holds it (relative to the structure).</summary>
    public void PublishOffset(int field, int offset) => Publish(field, (uint)(offset - Layout.HeaderOffset));

    /// <summary>Writes an entry header at a buffer offset the caller checked (inside the data area, 8 bytes before its end at most).</summary>
    public void WriteHeader(int offset, int size, FrameType type, int frameOffset)
    {
        *(uint*)(_base + offset) = (uint)size | ((uint)type << 24);
        *(int*)(_base + offset + 4) = frameOffset;
    }

    /// <summary>
    /// Turns an offset the peer published (relative to the ring structure) into a buffer offset, when
    /// it lies in the data area and is 8-aligned; -1 otherwise.
    /// </summary>
    public int ToBufferOffset(uint shared)
    {
        long offset = (long)shared + Layout.HeaderOffset;
        return offset >= Start && offset < End && (shared & (IntNetBuffer.Alignment - 1)) == 0 ? (int)offset : -1;
    }

    public Span<byte> Slice(int offset, int length) => new(_base + offset, length);

    private static string? Check(int length, RingLayout layout)
    {
        const int Mask = IntNetBuffer.Alignment - 1;
        if (layout.HeaderOffset < 0 || (layout.HeaderOffset & Mask) != 0 || (long)layout.HeaderOffset + IntNetBuffer.RingHeaderSize > length)
        {
            return $"the ring structure at {layout.HeaderOffset} is not an 8-aligned 48-byte block inside the {length}-byte buffer";
        }

        if (layout.DataSize < IntNetBuffer.MinRingSize || layout.DataSize > IntNetBuffer.MaxRingSize || (layout.DataSize & Mask) != 0)
        {
            return $"the ring's data size {layout.DataSize} is not a multiple of 8 from {IntNetBuffer.MinRingSize} to {IntNetBuffer.MaxRingSize}";
        }

        if ((layout.DataOffset & Mask) != 0 || layout.DataOffset < layout.HeaderOffset + IntNetBuffer.RingHeaderSize || (long)layout.DataOffset + layout.DataSize > length)
        {
            return $"the ring's data at {layout.DataOffset} ({layout.DataSize} bytes) is not 8-aligned after its structure at {layout.HeaderOffset} and inside the {length}-byte buffer";
        }

        return null;
    }
}
