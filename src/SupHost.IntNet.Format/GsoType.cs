namespace SupHost.IntNet.Format;

/// <summary>
/// What a GSO super-frame carries and how it is cut (the original's <c>PDMNETWORKGSOTYPE</c>;
/// its 4-in-6 tunnel types 5 and 6 are not accepted here).
/// </summary>
public enum GsoType : byte
{
    /// <summary>Not a GSO type: a context with it is invalid.</summary>
    Invalid = 0,

    /// <summary>TCP over IPv4, cut into TCP segments (TSO).</summary>
    IPv4Tcp = 1,

    /// <summary>TCP over IPv6, cut into TCP segments (TSO).</summary>
    IPv6Tcp = 2,

    /// <summary>UDP over IPv4, cut into IPv4 fragments of one datagram (UFO).</summary>
    IPv4Udp = 3,

    /// <summary>UDP over IPv6, cut into separate UDP datagrams, each with its own header (USO).</summary>
    IPv6Udp = 4,
}
