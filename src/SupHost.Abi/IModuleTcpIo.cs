namespace SupHost.Abi;

/// <summary>
/// TCP on the loopback address only (127.0.0.1), for a module that speaks to programs on the same
/// host (QEMU's <c>-netdev stream,addr.type=inet</c>): the daemon never binds or connects a module's
/// TCP socket anywhere else. The daemon's <see cref="IModuleIo"/> is one: test with
/// <c>host.Io is IModuleTcpIo</c> (a daemon before this interface answers false). Handles are as
/// Unix streams' (<see cref="IoHandleKind.TcpStream"/>, <see cref="IoHandleKind.TcpListener"/>:
/// non-blocking, Accept on a listener), with TCP_NODELAY on every connection; they count in the
/// module's descriptors. Statuses as <see cref="IModuleIo"/>'s.
/// </summary>
public interface IModuleTcpIo
{
    /// <summary>
    /// A listener on 127.0.0.1:<paramref name="port"/> (1 to 65535, or 0 for a port the kernel picks)
    /// with <paramref name="backlog"/> (1 to 4096); <paramref name="boundPort"/> is the port it
    /// listens on. -16 AlreadyExists when the port is taken, -2 InvalidParameter for a port or backlog out of range.
    /// </summary>
    int ListenTcp(int port, int backlog, out IModuleIoHandle? listener, out int boundPort);

    /// <summary>
    /// A connection to 127.0.0.1:<paramref name="port"/> (1 to 65535); the loopback handshake is
    /// waited for (at most 100 ms) so that the handle is connected. -55 PeerClosed when nobody
    /// listens there, -53 WouldBlock when the handshake did not finish in time.
    /// </summary>
    int ConnectTcp(int port, out IModuleIoHandle? socket);
}
