namespace SupHost.Abi;

/// <summary>
/// The trunk driver's end of a connection (INTNETTRUNKIFPORT), which it gives the switch: the
/// switch sends frames out through it and tells it its state.
/// </summary>
/// <remarks>
/// <para>Threads: the switch calls it from any of its threads (the threads of client calls and its
/// workers), <see cref="Transmit"/> concurrently; a method never blocks on I/O (a full device queue
/// loses the frame: -53 WouldBlock, which the switch counts) and never throws.</para>
/// <para>Lifetime: as <see cref="ISwitchPort"/>.</para>
/// </remarks>
public interface ITrunkPort
{
    /// <summary>The interface it connects (the trunk name the network was opened with).</summary>
    string Name { get; }

    /// <summary>Sets the trunk's state and returns the previous one; an inactive trunk delivers nothing.</summary>
    TrunkState SetState(TrunkState state);

    /// <summary>Tells the driver an interface of the network uses <paramref name="mac"/> (6 bytes) now (for a network that shares the host's MAC on the wire).</summary>
    void NotifyMacAddress(ReadOnlySpan<byte> mac);

    /// <summary>Waits up to <paramref name="timeoutMilliseconds"/> for the driver's calls into the switch to end (after <see cref="SetState"/> to inactive or disconnecting); false when the time ran out.</summary>
    bool WaitForIdle(int timeoutMilliseconds);

    /// <summary>
    /// Sends a frame out of the <paramref name="destination"/> ends (one or both). A
    /// <see cref="TrunkFrameType.Gso"/> frame goes only to an end that reported the type (see
    /// <see cref="ISwitchPort.ReportGsoCapabilities"/>). <paramref name="frame"/> is valid only during
    /// the call. 0, -53 WouldBlock (no room: the frame is lost), -21 ObjectDying (disconnected), or
    /// another negative status of the driver's.
    /// </summary>
    int Transmit(ReadOnlySpan<byte> frame, TrunkFrameType type, TrunkDirection destination);

    /// <summary>
    /// The switch ends the connection (the network goes, or IntNet is unloading): the driver stops
    /// calling the switch port, waits for its calls into it to return, and drops it.
    /// </summary>
    void Disconnect();
}
