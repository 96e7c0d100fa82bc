using System.Buffers.Binary;

namespace SupHost.Protocol;

/// <summary>The GIP mapping reply (16 bytes): length in bytes @0, mode @8, reserved @12.</summary>
/// <param name="Length">The GIP's size in bytes (whole pages).</param>
/// <param name="Mode">The mode the daemon found.</param>
public readonly record struct GipMapReply(ulong Length, GipMode Mode)
{
    /// <summary>Payload size.</summary>
    public const int Size = 16;

    /// <summary>Writes the payload.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, Length);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], (uint)Mode);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], 0);
    }

    /// <summary>Reads the payload.</summary>
    public static GipMapReply Read(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(source),
        (GipMode)BinaryPrimitives.ReadUInt32LittleEndian(source[8..]));
}
