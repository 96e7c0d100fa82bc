namespace SupHost.Abi;

/// <summary>
/// What IntNet's factory answers to <see cref="PortContracts.NetworkPortsInterfaceV1"/>: it
/// connects a driver's port to a network, as one more port of it (beside the clients'
/// interfaces), with its own MAC, counters and GSO capability.
/// </summary>
/// <remarks>
/// <para>The connection keeps the rules of a trunk connection (docs/modules.md §13): either side
/// calls the other from any thread, nothing blocks or throws, a frame span is valid only during
/// the call, and after either side disconnects (<see cref="ISwitchPort.Disconnect"/> by the
/// driver, <see cref="ITrunkPort.Disconnect"/> by the switch, when the network is deleted or
/// IntNet unloads) neither calls the other again nor keeps a reference.</para>
/// <para>Through the pair the port uses only the host direction: <see cref="ITrunkPort.Transmit"/>
/// is called with <see cref="TrunkDirection.Host"/>, <see cref="ISwitchPort.Receive"/> and
/// <see cref="ISwitchPort.ReportGsoCapabilities"/> take it. <see cref="ISwitchPort.ReportMacAddress"/>
/// gives the port's MAC as a first guess: the switch still learns it from the port's frames (an
/// address changed on the device is seen with its next frame). <see cref="ISwitchPort.PreReceive"/>
/// answers <see cref="SwitchDecision.BadContext"/>: deliver every frame. The port is active from
/// the connection on; <see cref="ITrunkPort.SetState"/> tells it
/// <see cref="TrunkState.Active"/> then and <see cref="TrunkState.Disconnecting"/> at the end.</para>
/// </remarks>
public interface INetworkPorts
{
    /// <summary>
    /// Connects <paramref name="port"/> to the network <paramref name="network"/> (1 to 127 UTF-8
    /// bytes), creating the network (with the default policy, owned by
    /// <paramref name="requester"/>) when it does not exist; joining an existing restricted network
    /// needs <paramref name="requester"/>'s access to it. <paramref name="kind"/> is what listings
    /// call the port ("tap"; 1 to 16 of a-z, 0-9, '-'); <paramref name="device"/> names what it
    /// stands for ("suphost0 in netns red"; at most 64 characters).
    /// </summary>
    /// <returns>
    /// 0 with <paramref name="switchPort"/>; -22 InvalidName (network), -2 InvalidParameter (kind,
    /// device, port), -10 PermissionDenied (a restricted network), -20 LimitReached (the network
    /// is full), -21 ObjectDying (IntNet is unloading).
    /// </returns>
    int Connect(ISessionIdentity requester, string network, string kind, string device, ITrunkPort port, out ISwitchPort? switchPort);
}
