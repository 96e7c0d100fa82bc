using System.Buffers.Binary;

namespace SupHost.Protocol;

/// <summary>
/// Factory registration (72 + 16·n bytes): name [64] @0, interface count n @64, reserved @68,
/// then n interface ids (GUID, 16 bytes each, <see cref="Guid.TryWriteBytes(Span{byte})"/> order).
/// </summary>
/// <param name="Name">The factory's name.</param>
/// <param name="Interfaces">The interface ids it answers (1 to <see cref="ProtocolConstants.MaxFactoryInterfaces"/>).</param>
public readonly record struct FactoryRegisterRequest(string Name, IReadOnlyList<Guid> Interfaces)
{
    /// <summary>Smallest payload: one interface.</summary>
    public const int MinSize = FixedSize + ProtocolConstants.GuidSize;

    /// <summary>Largest payload.</summary>
    public const int MaxSize = FixedSize + (ProtocolConstants.GuidSize * ProtocolConstants.MaxFactoryInterfaces);

    /// <summary>Bytes before the interface ids.</summary>
    public const int FixedSize = ProtocolConstants.NameFieldSize + 8;

    /// <summary>Payload size for this request.</summary>
    public int Size => FixedSize + (ProtocolConstants.GuidSize * Interfaces.Count);

    /// <summary>Writes the payload.</summary>
    public void Write(Span<byte> destination)
    {
        destination[..Size].Clear();
        NameField.Write(destination[..ProtocolConstants.NameFieldSize], Name);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[ProtocolConstants.NameFieldSize..], (uint)Interfaces.Count);
        for (int i = 0; i < Interfaces.Count; i++)
        {
            Interfaces[i].TryWriteBytes(destination.Slice(FixedSize + (i * ProtocolConstants.GuidSize), ProtocolConstants.GuidSize));
        }
    }

    /// <summary>The interface count field.</summary>
    public static uint CountOf(ReadOnlySpan<byte> source) => BinaryPrimitives.ReadUInt32LittleEndian(source[ProtocolConstants.NameFieldSize..]);

    /// <summary>The reserved field.</summary>
    public static uint ReservedOf(ReadOnlySpan<byte> source) => BinaryPrimitives.ReadUInt32LittleEndian(source[(ProtocolConstants.NameFieldSize + 4)..]);

    /// <summary>Interface id number <paramref name="index"/>.</summary>
    public static Guid InterfaceOf(ReadOnlySpan<byte> source, int index) =>
        new(source.Slice(FixedSize + (index * ProtocolConstants.GuidSize), ProtocolConstants.GuidSize));
}
