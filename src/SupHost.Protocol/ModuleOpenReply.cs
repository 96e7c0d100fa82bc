using System.Buffers.Binary;

namespace SupHost.Protocol;

/// <summary>Module open reply (16 bytes): module handle @0 (u64), flags @8 (bit 0: needs loading), Abi version @12 (major &lt;&lt; 16 | minor).</summary>
/// <param name="Handle">The module handle this session uses for the other loader requests.</param>
/// <param name="NeedsLoading">The module's init has not run yet.</param>
/// <param name="AbiVersion">The Abi version the module was built against.</param>
public readonly record struct ModuleOpenReply(ulong Handle, bool NeedsLoading, uint AbiVersion)
{
    /// <summary>Payload size.</summary>
    public const int Size = 16;

    /// <summary>Writes the payload.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, Handle);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], NeedsLoading ? 1u : 0u);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], AbiVersion);
    }

    /// <summary>Reads the payload.</summary>
    public static ModuleOpenReply Read(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(source),
        (BinaryPrimitives.ReadUInt32LittleEndian(source[8..]) & 1) != 0,
        BinaryPrimitives.ReadUInt32LittleEndian(source[12..]));
}
