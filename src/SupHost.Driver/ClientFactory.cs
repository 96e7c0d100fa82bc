using SupHost.Abi;

namespace SupHost.Driver;

/// <summary>A factory registered by a client over the protocol: answers its listed interface ids with itself.</summary>
public sealed class ClientFactory : IComponentFactory
{
    /// <summary>Creates it.</summary>
    public ClientFactory(string name, IReadOnlyList<Guid> interfaces)
    {
        Name = name;
        Interfaces = interfaces;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The interface ids it answers.</summary>
    public IReadOnlyList<Guid> Interfaces { get; }

    /// <inheritdoc />
    public object? QueryInterface(Guid interfaceId) => Interfaces.Contains(interfaceId) ? this : null;
}
