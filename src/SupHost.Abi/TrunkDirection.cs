namespace SupHost.Abi;

/// <summary>
/// The ends of a trunk (INTNETTRUNKDIR): the wire, the physical side of a host interface, and the
/// host, the host's own network stack behind it. A TAP adapter has only a host end.
/// </summary>
[Flags]
public enum TrunkDirection
{
    /// <summary>Neither end.</summary>
    None = 0,

    /// <summary>The wire: what the host interface sends on and receives from its network.</summary>
    Wire = 1,

    /// <summary>The host: the host's own network stack (for a TAP, the only end).</summary>
    Host = 2,
}
