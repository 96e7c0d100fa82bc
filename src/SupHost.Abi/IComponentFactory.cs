namespace SupHost.Abi;

/// <summary>
/// A named component factory (SUPDRVFACTORY of the original): answers queries for interfaces by
/// id. IntNet finds its trunk drivers this way. Factories are matched by identity: registering the
/// same instance twice fails, while distinct factories may share a name.
/// </summary>
public interface IComponentFactory
{
    /// <summary>The name queries look for (1 to 63 UTF-8 bytes).</summary>
    string Name { get; }

    /// <summary>The implementation of interface <paramref name="interfaceId"/>, or null when this factory has none.</summary>
    object? QueryInterface(Guid interfaceId);
}
