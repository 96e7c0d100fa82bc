using SupHost.Abi;

namespace SupHost.Driver;

/// <summary>One entry of the registry.</summary>
/// <param name="Id">The entry's id, unique for the daemon's life.</param>
/// <param name="Factory">The factory.</param>
/// <param name="Owner">Its owner.</param>
public sealed record FactoryRegistration(ulong Id, IComponentFactory Factory, FactoryOwner Owner);
