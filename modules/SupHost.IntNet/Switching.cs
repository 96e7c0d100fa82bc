namespace SupHost.IntNet;

/// <summary>
/// Where a frame goes (REFERENCE.md §8, the original's intnetR0NetworkSend): pure, over a snapshot
/// of the ports, so that every rule is tested on its own.
/// </summary>
internal static class Switching
{
    /// <summary>The shortest frame switched: an Ethernet header.</summary>
    public const int MinimumFrame = 14;

    /// <summary>
    /// Fills <paramref name="destinations"/> with the indexes of <paramref name="ports"/> the frame
    /// goes to and returns the trunk ends it goes to. <paramref name="source"/> is the sending
    /// port's index, or -1 when the frame came from the trunk's <paramref name="sourceEnd"/>.
    /// Returns <see cref="SupHost.Abi.TrunkDirection.None"/> with no destinations for a frame
    /// nobody takes (unknown unicast without a trunk is dropped, not flooded).
    /// </summary>
    public static SupHost.Abi.TrunkDirection Decide(ReadOnlySpan<PortView> ports, int source, SupHost.Abi.TrunkDirection sourceEnd, TrunkView trunk, ulong destination, List<int> destinations)
    {
        destinations.Clear();
        bool fromTrunk = source < 0;
        SupHost.Abi.TrunkDirection ends = SupHost.Abi.TrunkDirection.None;
        if (Mac.IsMulticast(destination))
        {
            for (int i = 0; i < ports.Length; i++)
            {
                if (i != source && ports[i].Active)
                {
                    destinations.Add(i);
                }
            }

            if (trunk.HostEnabled)
            {
                ends |= SupHost.Abi.TrunkDirection.Host;
            }

            if (trunk.WireEnabled)
            {
                ends |= SupHost.Abi.TrunkDirection.Wire;
            }

            return ends & ~(fromTrunk ? sourceEnd : SupHost.Abi.TrunkDirection.None);
        }

        bool exact = false;
        for (int i = 0; i < ports.Length; i++)
        {
            PortView port = ports[i];
            if (i == source || !port.Active)
            {
                continue;
            }

            if (port.Mac == destination)
            {
                exact = true;
                destinations.Add(i);
            }
            else if (port.Mac == Mac.Dummy || (port.Promiscuous && (!fromTrunk || port.SeeTrunk)))
            {
                destinations.Add(i);
            }
        }

        if (trunk.HostEnabled && (trunk.HostMac == destination || trunk.HostMac == Mac.Dummy || trunk.HostPromiscuous))
        {
            ends |= SupHost.Abi.TrunkDirection.Host;
        }

        // "Exact" counts only the network's own ports: a frame for the host still goes out on the wire (as the original).
        if (trunk.WireEnabled && (!exact || trunk.WirePromiscuous))
        {
            ends |= SupHost.Abi.TrunkDirection.Wire;
        }

        return ends & ~(fromTrunk ? sourceEnd : SupHost.Abi.TrunkDirection.None);
    }
}
