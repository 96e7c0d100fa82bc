namespace SupHost.Abi;

/// <summary>How the switch wants a trunk connected (INTNETTRUNKFACTORY_FLAG_*).</summary>
[Flags]
public enum TrunkConnectFlags
{
    /// <summary>Nothing special.</summary>
    None = 0,

    /// <summary>
    /// Do not put the host interface in promiscuous mode: the network shares the host's MAC on the
    /// wire (the open's shared-MAC-on-wire policy), so the wire end needs only the host's frames.
    /// </summary>
    NoPromiscuous = 1,
}
