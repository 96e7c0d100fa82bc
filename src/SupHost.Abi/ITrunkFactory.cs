namespace SupHost.Abi;

/// <summary>
/// What a trunk driver's factory answers to <see cref="TrunkContracts.FactoryInterfaceV1"/>
/// (INTNETTRUNKFACTORY): it connects one of the driver's interfaces to a network's switch.
/// </summary>
public interface ITrunkFactory
{
    /// <summary>
    /// Connects the interface <paramref name="trunkName"/> (1 to 63 bytes; a host interface for
    /// NetFlt, an adapter for NetAdp) to the switch through <paramref name="switchPort"/>, and gives
    /// the switch <paramref name="trunk"/>, its end of the connection. The trunk starts
    /// <see cref="TrunkState.Inactive"/>; before returning, the driver reports what it knows
    /// (<see cref="ISwitchPort.ReportMacAddress"/>, <see cref="ISwitchPort.ReportGsoCapabilities"/>,
    /// <see cref="ISwitchPort.ReportPromiscuousMode"/>).
    /// </summary>
    /// <returns>
    /// 0; -56 TrunkNotFound when the driver has no such interface (and cannot make it); -57
    /// TrunkBusy when it is connected to a switch already; -4 InvalidName; another negative status
    /// of the driver's. The call may block briefly (it sets the interface up) and runs on the thread
    /// of the client call that opened the network.
    /// </returns>
    int CreateAndConnect(string trunkName, ISwitchPort switchPort, TrunkConnectFlags flags, out ITrunkPort? trunk);
}
