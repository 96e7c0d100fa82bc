using System.Buffers.Binary;

namespace SupHost.Protocol;

/// <summary>
/// Entry point call (24 + n bytes): symbol handle @0 (u64), operation @8, reserved @12, argument
/// @16 (u64), then n bytes of input payload. The reply's payload is what the entry point wrote.
/// </summary>
/// <param name="Symbol">The symbol handle from <see cref="SupFunction.ModuleGetSymbol"/>.</param>
/// <param name="Operation">The module's operation code.</param>
/// <param name="Argument">The 64-bit argument.</param>
public readonly record struct ModuleCallRequest(ulong Symbol, uint Operation, ulong Argument)
{
    /// <summary>Bytes before the payload.</summary>
    public const int FixedSize = 24;

    /// <summary>Writes the fixed part.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, Symbol);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], Operation);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], Argument);
    }

    /// <summary>Reads the fixed part; <paramref name="reserved"/> must be checked to be zero.</summary>
    public static ModuleCallRequest Read(ReadOnlySpan<byte> source, out uint reserved)
    {
        reserved = BinaryPrimitives.ReadUInt32LittleEndian(source[12..]);
        return new(BinaryPrimitives.ReadUInt64LittleEndian(source), BinaryPrimitives.ReadUInt32LittleEndian(source[8..]), BinaryPrimitives.ReadUInt64LittleEndian(source[16..]));
    }
}
