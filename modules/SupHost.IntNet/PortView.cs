namespace SupHost.IntNet;

/// <summary>What the switch knows of a port (an interface, a QEMU socket...) when it decides where a frame goes.</summary>
/// <param name="Active">Whether it receives at all.</param>
/// <param name="Mac">Its address (<see cref="Mac.Dummy"/> while it has none).</param>
/// <param name="Promiscuous">Its effective promiscuity: asked for, and allowed by its own and the network's policy.</param>
/// <param name="SeeTrunk">Whether, promiscuous, it also sees unicast from the trunk that is not for it.</param>
internal readonly record struct PortView(bool Active, ulong Mac, bool Promiscuous, bool SeeTrunk);
