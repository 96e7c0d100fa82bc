namespace SupHost.IntNet;

/// <summary>What the switch knows of the network's trunk: which ends are there and take frames.</summary>
/// <param name="HostEnabled">The host end is there, enabled by policy, and the trunk active.</param>
/// <param name="WireEnabled">The wire end likewise.</param>
/// <param name="HostMac">The host end's address (<see cref="Mac.Dummy"/> while unknown).</param>
/// <param name="HostPromiscuous">The host end takes every frame (it is promiscuous and policy allows it).</param>
/// <param name="WirePromiscuous">The wire end takes every frame (promiscuous mode, allowed by policy).</param>
internal readonly record struct TrunkView(bool HostEnabled, bool WireEnabled, ulong HostMac, bool HostPromiscuous, bool WirePromiscuous)
{
    /// <summary>No trunk.</summary>
    public static TrunkView None => new(false, false, Mac.Dummy, false, false);
}
