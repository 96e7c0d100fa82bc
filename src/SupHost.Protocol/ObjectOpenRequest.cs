using System.Buffers.Binary;

namespace SupHost.Protocol;

/// <summary>Object open (72 bytes): type @0, reserved @4, name [64] @8.</summary>
/// <param name="Type">The object type.</param>
/// <param name="Name">The object's name.</param>
public readonly record struct ObjectOpenRequest(ObjectTypeId Type, string Name)
{
    /// <summary>Payload size.</summary>
    public const int Size = 8 + ProtocolConstants.NameFieldSize;

    /// <summary>Writes the payload.</summary>
    public void Write(Span<byte> destination)
    {
        destination[..Size].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)Type);
        NameField.Write(destination.Slice(8, ProtocolConstants.NameFieldSize), Name);
    }

    /// <summary>The type and reserved fields.</summary>
    public static (ObjectTypeId Type, uint Reserved) ReadFixed(ReadOnlySpan<byte> source) => (
        (ObjectTypeId)BinaryPrimitives.ReadUInt32LittleEndian(source),
        BinaryPrimitives.ReadUInt32LittleEndian(source[4..]));

    /// <summary>The name field of a payload.</summary>
    public static ReadOnlySpan<byte> NameOf(ReadOnlySpan<byte> source) => source.Slice(8, ProtocolConstants.NameFieldSize);
}
