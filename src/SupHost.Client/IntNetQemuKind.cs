namespace SupHost.Client;

/// <summary>The QEMU back-ends a network can have (NetQemuAdd; docs/networking.md, "QEMU guests").</summary>
public enum IntNetQemuKind
{
    /// <summary>Not a kind: refused with <c>InvalidParameter</c>.</summary>
    Invalid = 0,

    /// <summary>The network listens on a Unix path; each QEMU <c>-netdev stream,server=off</c> that connects is a port.</summary>
    StreamListen = 1,

    /// <summary>The network connects to a QEMU <c>-netdev stream,server=on</c> listening on the path, and again whenever it is not connected.</summary>
    StreamConnect = 2,

    /// <summary>The network binds a Unix datagram path; each QEMU <c>-netdev dgram</c> that sends to it (by its own path) is a port.</summary>
    Datagram = 3,
}
