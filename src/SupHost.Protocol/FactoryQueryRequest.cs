namespace SupHost.Protocol;

/// <summary>Factory query (80 bytes): name [64] @0, interface id @64.</summary>
/// <param name="Name">The factory name.</param>
/// <param name="Interface">The interface id asked for.</param>
public readonly record struct FactoryQueryRequest(string Name, Guid Interface)
{
    /// <summary>Payload size.</summary>
    public const int Size = ProtocolConstants.NameFieldSize + ProtocolConstants.GuidSize;

    /// <summary>Writes the payload.</summary>
    public void Write(Span<byte> destination)
    {
        destination[..Size].Clear();
        NameField.Write(destination[..ProtocolConstants.NameFieldSize], Name);
        Interface.TryWriteBytes(destination.Slice(ProtocolConstants.NameFieldSize, ProtocolConstants.GuidSize));
    }

    /// <summary>The interface id of a payload.</summary>
    public static Guid InterfaceOf(ReadOnlySpan<byte> source) => new(source.Slice(ProtocolConstants.NameFieldSize, ProtocolConstants.GuidSize));
}
