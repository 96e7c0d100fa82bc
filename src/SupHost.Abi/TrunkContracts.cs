namespace SupHost.Abi;

/// <summary>
/// How IntNet and its trunk drivers find each other through the component registry (the original's
/// INTNETTRUNKFACTORY): a trunk driver module registers a factory named after its trunk type that
/// answers <see cref="FactoryInterfaceV1"/> with an <see cref="ITrunkFactory"/>; IntNet queries
/// that name and id when a network asks for such a trunk (Abi 1.1).
/// </summary>
/// <remarks>
/// Contracts between modules are versioned by interface id, never by changing an interface: a
/// later version is a new interface with a new id, and a factory may answer both. Both modules
/// see the same types because modules share exactly one assembly, SupHost.Abi.
/// </remarks>
public static class TrunkContracts
{
    /// <summary>The id of <see cref="ITrunkFactory"/> with <see cref="ISwitchPort"/> and <see cref="ITrunkPort"/>, version 1.</summary>
    public static readonly Guid FactoryInterfaceV1 = new("8f0b9c1e-6a53-4d2e-9b77-3c1f2a5e7d01");

    /// <summary>The factory name of the NetFlt driver: bridging to an existing host interface (trunk type NetFlt).</summary>
    public const string NetFltFactory = "NetFlt";

    /// <summary>The factory name of the NetAdp driver: host-only adapters (trunk type NetAdp).</summary>
    public const string NetAdpFactory = "NetAdp";
}
