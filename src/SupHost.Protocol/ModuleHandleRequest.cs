using System.Buffers.Binary;

namespace SupHost.Protocol;

/// <summary>
/// Module load or free (16 bytes): module handle @0 (u64), flags @8, reserved @12. Load flag bit 0
/// pins the module in the daemon (it stays loaded after the session ends); free flag bit 0 drops
/// the pin too.
/// </summary>
/// <param name="Handle">The module handle from <see cref="SupFunction.ModuleOpen"/>.</param>
/// <param name="Flags">Bit 0: pin (load) or unpin (free).</param>
public readonly record struct ModuleHandleRequest(ulong Handle, uint Flags)
{
    /// <summary>Payload size.</summary>
    public const int Size = 16;

    /// <summary>The pin (load) / unpin (free) bit.</summary>
    public const uint PinFlag = 1;

    /// <summary>Writes the payload.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, Handle);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], 0);
    }

    /// <summary>Reads the handle and flags; <paramref name="reserved"/> must be checked to be zero.</summary>
    public static ModuleHandleRequest Read(ReadOnlySpan<byte> source, out uint reserved)
    {
        reserved = BinaryPrimitives.ReadUInt32LittleEndian(source[12..]);
        return new(BinaryPrimitives.ReadUInt64LittleEndian(source), BinaryPrimitives.ReadUInt32LittleEndian(source[8..]));
    }
}
