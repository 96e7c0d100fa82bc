using System.Buffers.Binary;

namespace SupHost.Protocol;

/// <summary>Page allocation (8 bytes): page count @0, flags @4 (bit 0: lock the pages in RAM).</summary>
/// <param name="Pages">How many 4 KiB pages.</param>
/// <param name="Flags">Bit 0: <see cref="LockFlag"/>.</param>
public readonly record struct PageAllocRequest(uint Pages, uint Flags)
{
    /// <summary>Payload size.</summary>
    public const int Size = 8;

    /// <summary>Lock the pages in RAM at once.</summary>
    public const uint LockFlag = 1;

    /// <summary>Writes the payload.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Pages);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Flags);
    }

    /// <summary>Reads the payload.</summary>
    public static PageAllocRequest Read(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt32LittleEndian(source),
        BinaryPrimitives.ReadUInt32LittleEndian(source[4..]));
}
