namespace SupHost.Abi;

/// <summary>The component factory registry as modules see it.</summary>
public interface IModuleComponents
{
    /// <summary>Registers a factory owned by the module; returns its id. The same instance twice throws.</summary>
    ulong Register(IComponentFactory factory);

    /// <summary>Removes a factory the module registered; false when it has no such factory.</summary>
    bool Deregister(ulong factoryId);

    /// <summary>
    /// The first factory registered by a module (this one or another) named <paramref name="name"/>
    /// that answers <paramref name="interfaceId"/>, or null. Factories clients registered are not
    /// candidates, so no client can shadow a module's factory (the original lets only kernel code
    /// register factories).
    /// </summary>
    object? Query(string name, Guid interfaceId);

    /// <summary>
    /// As <see cref="Query(string, Guid)"/>; with <paramref name="includeClientFactories"/> the
    /// factories clients registered are candidates too, in registration order with the modules'.
    /// </summary>
    object? Query(string name, Guid interfaceId, bool includeClientFactories);
}
