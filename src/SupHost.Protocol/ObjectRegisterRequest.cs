using System.Buffers.Binary;

namespace SupHost.Protocol;

/// <summary>Object registration (80 bytes): type @0, mode @4 (Unix permission bits), flags @8, reserved @12, name [64] @16 (empty: unnamed).</summary>
/// <param name="Type">The object type.</param>
/// <param name="Mode">Permission bits: group bits (0o070) let the owner's group in, other bits (0o007) everyone.</param>
/// <param name="Flags">Registration flags.</param>
/// <param name="Name">The name others open it by, or null for an unnamed object.</param>
public readonly record struct ObjectRegisterRequest(ObjectTypeId Type, uint Mode, ObjectFlags Flags, string? Name)
{
    /// <summary>Payload size.</summary>
    public const int Size = 16 + ProtocolConstants.NameFieldSize;

    /// <summary>Writes the payload.</summary>
    public void Write(Span<byte> destination)
    {
        destination[..Size].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)Type);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Mode);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], (uint)Flags);
        if (!string.IsNullOrEmpty(Name))
        {
            NameField.Write(destination.Slice(16, ProtocolConstants.NameFieldSize), Name);
        }
    }

    /// <summary>The type, mode and flags fields; the name field is read with <see cref="NameField"/>.</summary>
    public static (ObjectTypeId Type, uint Mode, uint Flags, uint Reserved) ReadFixed(ReadOnlySpan<byte> source) => (
        (ObjectTypeId)BinaryPrimitives.ReadUInt32LittleEndian(source),
        BinaryPrimitives.ReadUInt32LittleEndian(source[4..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[8..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[12..]));

    /// <summary>The name field of a payload.</summary>
    public static ReadOnlySpan<byte> NameOf(ReadOnlySpan<byte> source) => source.Slice(16, ProtocolConstants.NameFieldSize);
}
