namespace SupHost.Abi;

/// <summary>What an <see cref="IModuleIoHandle"/> holds.</summary>
public enum IoHandleKind
{
    /// <summary>Not a handle.</summary>
    Invalid = 0,

    /// <summary>A counter the module signals and consumes (an eventfd), to wake a readiness loop.</summary>
    Event = 1,

    /// <summary>A TAP device: one Ethernet frame per read or write, each behind a 10-byte virtio_net_hdr.</summary>
    Tap = 2,

    /// <summary>An AF_PACKET socket bound to one interface: one frame per read or write.</summary>
    PacketSocket = 3,

    /// <summary>A connected Unix stream socket.</summary>
    UnixStream = 4,

    /// <summary>A Unix datagram socket.</summary>
    UnixDatagram = 5,

    /// <summary>A listening Unix stream socket; readable when a connection waits for <see cref="IModuleIoHandle.Accept"/>.</summary>
    UnixListener = 6,

    /// <summary>A connected TCP socket on the loopback address (<see cref="IModuleTcpIo"/>).</summary>
    TcpStream = 7,

    /// <summary>A listening TCP socket on the loopback address; readable when a connection waits for <see cref="IModuleIoHandle.Accept"/>.</summary>
    TcpListener = 8,
}
