namespace SupHost.Abi;

/// <summary>
/// The switch's end of a trunk connection (INTNETTRUNKSWPORT), which IntNet gives a trunk driver:
/// the driver delivers what its interface receives and reports what its interface is.
/// </summary>
/// <remarks>
/// <para>Threads: every method may be called from any of the driver's threads, concurrently; none
/// blocks (a receiver whose ring is full loses the frame and counts it) and none throws.</para>
/// <para>Lifetime: valid from <see cref="ITrunkFactory.CreateAndConnect"/> until the driver calls
/// <see cref="Disconnect"/> or the switch calls <see cref="ITrunkPort.Disconnect"/>; after either
/// returns, neither side calls the other again nor keeps a reference, so that either module can be
/// unloaded and its load context collected.</para>
/// </remarks>
public interface ISwitchPort
{
    /// <summary>
    /// Where the switch would send a frame whose first bytes are <paramref name="headers"/> (at
    /// least the 14-byte Ethernet header; more lets it look further), arriving from
    /// <paramref name="source"/>; a driver that can hand frames to the host stack itself uses it to
    /// skip the switch for frames not for the network.
    /// </summary>
    SwitchDecision PreReceive(ReadOnlySpan<byte> headers, TrunkDirection source);

    /// <summary>
    /// Delivers a frame that arrived at the trunk's <paramref name="source"/> end. The switch copies
    /// what it keeps before returning: <paramref name="frame"/> need be valid only during the call,
    /// but it must not change during the call (a driver's own buffer, never memory a client can
    /// write): the switch validates a GSO frame's context against its headers and then segments or
    /// sends on the same bytes, without a private copy.
    /// Returns true when the frame was for the network (it went to at least one destination or was
    /// dropped by its rules), false when the switch did not take it (the trunk is inactive or
    /// disconnecting, or the frame is malformed: then it is counted bad).
    /// </summary>
    bool Receive(ReadOnlySpan<byte> frame, TrunkFrameType type, TrunkDirection source);

    /// <summary>Reports the host end's MAC address (6 bytes), so that unicast to it reaches the host end.</summary>
    void ReportMacAddress(ReadOnlySpan<byte> mac);

    /// <summary>Reports whether the host end is in promiscuous mode (it then gets every frame, as policy allows).</summary>
    void ReportPromiscuousMode(bool promiscuous);

    /// <summary>
    /// Reports which GSO types <paramref name="destination"/> takes whole: bit 1 &lt;&lt; type for
    /// each type of docs/gso.md (IPv4 TCP 1, IPv6 TCP 2, IPv4 UDP 3, IPv6 UDP 4); the switch segments
    /// the other GSO frames it sends there. 0 (the default) takes none.
    /// </summary>
    void ReportGsoCapabilities(uint gsoTypes, TrunkDirection destination);

    /// <summary>
    /// The driver ends the connection (its interface went away or its module is unloading): the
    /// switch stops calling <paramref name="trunk"/>, waits for its calls into it to return, and drops
    /// it. The network stays, without a trunk.
    /// </summary>
    void Disconnect(ITrunkPort trunk);
}
