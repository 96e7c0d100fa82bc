using System.Buffers.Binary;

namespace SupHost.Protocol;

/// <summary>A reply that returns one handle (8 bytes).</summary>
/// <param name="Handle">The handle.</param>
public readonly record struct HandleReply(ulong Handle)
{
    /// <summary>Payload size.</summary>
    public const int Size = 8;

    /// <summary>Writes the payload.</summary>
    public void Write(Span<byte> destination) => BinaryPrimitives.WriteUInt64LittleEndian(destination, Handle);

    /// <summary>Reads the payload.</summary>
    public static HandleReply Read(ReadOnlySpan<byte> source) => new(BinaryPrimitives.ReadUInt64LittleEndian(source));
}
