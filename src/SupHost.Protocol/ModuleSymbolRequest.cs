using System.Buffers.Binary;

namespace SupHost.Protocol;

/// <summary>Symbol look-up (72 bytes): module handle @0 (u64), symbol name [64] @8.</summary>
/// <param name="Handle">The module handle.</param>
/// <param name="Symbol">The exported entry point's name.</param>
public readonly record struct ModuleSymbolRequest(ulong Handle, string Symbol)
{
    /// <summary>Payload size.</summary>
    public const int Size = 8 + ProtocolConstants.NameFieldSize;

    /// <summary>Writes the payload.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, Handle);
        NameField.Write(destination.Slice(8, ProtocolConstants.NameFieldSize), Symbol);
    }

    /// <summary>The module handle of a payload.</summary>
    public static ulong HandleOf(ReadOnlySpan<byte> source) => BinaryPrimitives.ReadUInt64LittleEndian(source);

    /// <summary>The name field of a payload.</summary>
    public static ReadOnlySpan<byte> NameOf(ReadOnlySpan<byte> source) => source.Slice(8, ProtocolConstants.NameFieldSize);
}
