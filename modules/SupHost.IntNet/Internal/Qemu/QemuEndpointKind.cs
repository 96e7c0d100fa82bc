namespace SupHost.IntNet.Internal.Qemu;

/// <summary>NetQemuAdd's kinds.</summary>
internal enum QemuEndpointKind
{
    None = 0,

    /// <summary>Listens on a Unix path; every accepted connection (QEMU's <c>-netdev stream,server=off</c>) a port.</summary>
    StreamListen = 1,

    /// <summary>Connects to a QEMU listening with <c>server=on</c>, again and again while it is not there.</summary>
    StreamConnect = 2,

    /// <summary>Binds a Unix datagram path; every source path that sends (QEMU's <c>-netdev dgram</c>) a port.</summary>
    Datagram = 3,
}
