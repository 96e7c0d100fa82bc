namespace SupHost.Abi;

/// <summary>The component factory registry as modules see it.</summary>
public interface IModuleComponents
{
    /// <summary>Registers a factory owned by the module; returns its id. The same instance twice throws.</summary>
    ulong Register(IComponentFactory factory);

    /// <summary>Removes a factory the module registered; false when it has no such factory.</summary>
    bool Deregister(ulong factoryId);

    /// <summary>The first factory named <paramref name="name"/> that answers <paramref name="interfaceId"/>, or null.</summary>
    object? Query(string name, Guid interfaceId);
}
