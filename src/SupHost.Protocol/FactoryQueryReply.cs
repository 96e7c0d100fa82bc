using System.Buffers.Binary;

namespace SupHost.Protocol;

/// <summary>Factory query reply (16 bytes): factory id @0 (u64), owning session id @8 (0: a module or the daemon), reserved @12.</summary>
/// <param name="FactoryId">The id of the factory that answered.</param>
/// <param name="OwnerSessionId">The session that registered it, or 0.</param>
public readonly record struct FactoryQueryReply(ulong FactoryId, uint OwnerSessionId)
{
    /// <summary>Payload size.</summary>
    public const int Size = 16;

    /// <summary>Writes the payload.</summary>
    public void Write(Span<byte> destination)
    {
        destination[..Size].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(destination, FactoryId);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], OwnerSessionId);
    }

    /// <summary>Reads the payload.</summary>
    public static FactoryQueryReply Read(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(source),
        BinaryPrimitives.ReadUInt32LittleEndian(source[8..]));
}
