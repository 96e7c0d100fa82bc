using System.Buffers.Binary;

namespace SupHost.Protocol;

/// <summary>
/// Page allocation reply (16 bytes): allocation handle @0 (u64), length in bytes @8 (u64). The
/// memory's descriptor (a sealed memfd, read-write) travels with the reply as SCM_RIGHTS.
/// </summary>
/// <param name="Handle">The allocation's handle (an object of type memory).</param>
/// <param name="Length">Bytes allocated: pages times 4096.</param>
public readonly record struct PageAllocReply(ulong Handle, ulong Length)
{
    /// <summary>Payload size.</summary>
    public const int Size = 16;

    /// <summary>Writes the payload.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, Handle);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], Length);
    }

    /// <summary>Reads the payload.</summary>
    public static PageAllocReply Read(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(source),
        BinaryPrimitives.ReadUInt64LittleEndian(source[8..]));
}
