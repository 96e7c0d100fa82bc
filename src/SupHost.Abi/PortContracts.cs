namespace SupHost.Abi;

/// <summary>
/// How a driver module attaches a port of its own (a TAP adapter, a socket) to an IntNet network
/// through the component registry, without referencing IntNet: IntNet registers a factory named
/// <see cref="IntNetFactory"/> that answers <see cref="NetworkPortsInterfaceV1"/> with an
/// <see cref="INetworkPorts"/>. A port connected this way is joined by the same pair of
/// interfaces as a trunk: the driver gives an <see cref="ITrunkPort"/> (what the switch calls to
/// send it frames) and gets an <see cref="ISwitchPort"/> (what it calls to deliver frames); only
/// <see cref="TrunkDirection.Host"/> is used (Abi 1.1, session 5).
/// </summary>
public static class PortContracts
{
    /// <summary>The id of <see cref="INetworkPorts"/>, version 1.</summary>
    public static readonly Guid NetworkPortsInterfaceV1 = new("5d1c7a02-3e94-4b6f-a0d8-91c2e4f6b713");

    /// <summary>The factory name of the IntNet switch.</summary>
    public const string IntNetFactory = "IntNet";
}
