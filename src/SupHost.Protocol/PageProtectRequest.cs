using System.Buffers.Binary;

namespace SupHost.Protocol;

/// <summary>
/// Page protection (32 bytes): allocation handle @0 (u64), offset @8 (u64), length @16 (u64),
/// protection @24 (bit 0 read, bit 1 write; 0 for none), reserved @28. Offset and length are
/// page-aligned, the length non-zero, and the range inside the allocation.
/// </summary>
/// <param name="Handle">The allocation.</param>
/// <param name="Offset">First byte, a multiple of 4096.</param>
/// <param name="Length">Bytes, a non-zero multiple of 4096.</param>
/// <param name="Protection">Bit 0 read, bit 1 write.</param>
public readonly record struct PageProtectRequest(ulong Handle, ulong Offset, ulong Length, uint Protection)
{
    /// <summary>Payload size.</summary>
    public const int Size = 32;

    /// <summary>Writes the payload.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, Handle);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], Offset);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], Length);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[24..], Protection);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[28..], 0);
    }

    /// <summary>Reads the payload; <paramref name="reserved"/> must be checked to be zero.</summary>
    public static PageProtectRequest Read(ReadOnlySpan<byte> source, out uint reserved)
    {
        reserved = BinaryPrimitives.ReadUInt32LittleEndian(source[28..]);
        return new(
            BinaryPrimitives.ReadUInt64LittleEndian(source),
            BinaryPrimitives.ReadUInt64LittleEndian(source[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(source[16..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[24..]));
    }
}
