using System.Buffers.Binary;

namespace SupHost.Protocol;

/// <summary>
/// A handle and flags (16 bytes): handle @0 (u64), flags @8, reserved @12. Module load: bit 0 pins
/// the module in the daemon; module free: bit 0 drops the pin too; page lock: bit 0 unlocks.
/// </summary>
/// <param name="Handle">The handle (a module's, an allocation's).</param>
/// <param name="Flags">Bit 0, whose meaning the function gives.</param>
public readonly record struct HandleFlagsRequest(ulong Handle, uint Flags)
{
    /// <summary>Payload size.</summary>
    public const int Size = 16;

    /// <summary>Bit 0: pin (module load), unpin (module free), unlock (page lock).</summary>
    public const uint PinFlag = 1;

    /// <summary>Writes the payload.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, Handle);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], 0);
    }

    /// <summary>Reads the handle and flags; <paramref name="reserved"/> must be checked to be zero.</summary>
    public static HandleFlagsRequest Read(ReadOnlySpan<byte> source, out uint reserved)
    {
        reserved = BinaryPrimitives.ReadUInt32LittleEndian(source[12..]);
        return new(BinaryPrimitives.ReadUInt64LittleEndian(source), BinaryPrimitives.ReadUInt32LittleEndian(source[8..]));
    }
}
