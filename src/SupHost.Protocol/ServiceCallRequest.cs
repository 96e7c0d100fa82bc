using System.Buffers.Binary;

namespace SupHost.Protocol;

/// <summary>
/// Service request (80 + n bytes): module name [64] @0, operation @64, reserved @68, argument @72
/// (u64), then n bytes of input payload.
/// </summary>
/// <param name="Module">The module's name; this session must have opened it.</param>
/// <param name="Operation">The module's operation code.</param>
/// <param name="Argument">The 64-bit argument.</param>
public readonly record struct ServiceCallRequest(string Module, uint Operation, ulong Argument)
{
    /// <summary>Bytes before the payload.</summary>
    public const int FixedSize = ProtocolConstants.NameFieldSize + 16;

    /// <summary>Writes the fixed part.</summary>
    public void Write(Span<byte> destination)
    {
        NameField.Write(destination[..ProtocolConstants.NameFieldSize], Module);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[64..], Operation);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[68..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[72..], Argument);
    }

    /// <summary>Operation, reserved and argument of a payload.</summary>
    public static (uint Operation, uint Reserved, ulong Argument) ReadFixed(ReadOnlySpan<byte> source) => (
        BinaryPrimitives.ReadUInt32LittleEndian(source[64..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[68..]),
        BinaryPrimitives.ReadUInt64LittleEndian(source[72..]));
}
