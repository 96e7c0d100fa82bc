namespace SupHost.Abi;

/// <summary>
/// An unconnected Unix datagram socket's own calls (recvfrom(2), sendto(2)): one socket that many
/// peers send to, each named by its address, as QEMU's <c>-netdev dgram</c> peers do. Every
/// <see cref="IModuleIoHandle"/> of kind <see cref="IoHandleKind.UnixDatagram"/> the daemon makes
/// (<see cref="IModuleIo.Listen"/> with <see cref="IoSocketType.Datagram"/>) is one: test with
/// <c>handle is IModuleDatagramSocket</c> (a daemon before this interface answers false). An
/// address is the bytes of sun_path without the terminating NUL (a file system path as UTF-8, or an
/// abstract name starting with its NUL), so that a loop learns peers without a string per datagram.
/// Results as <see cref="IModuleIoHandle"/>'s; another kind of handle answers -2 InvalidParameter.
/// </summary>
public interface IModuleDatagramSocket : IModuleIoHandle
{
    /// <summary>
    /// Receives one datagram into <paramref name="buffer"/> and its sender's address into
    /// <paramref name="source"/> (up to 108 bytes; cut to the span). Returns the datagram's whole
    /// length, which is more than <paramref name="buffer"/> holds when it was cut (the rest is lost),
    /// or -53 WouldBlock when none waits; <paramref name="sourceLength"/> is 0 for an unnamed sender.
    /// </summary>
    int ReceiveFrom(Span<byte> buffer, Span<byte> source, out int sourceLength);

    /// <summary>
    /// Sends <paramref name="data"/> as one datagram to the socket at <paramref name="destination"/>
    /// (1 to 107 bytes). The bytes sent, -53 WouldBlock when the receiver's queue is full, -55
    /// PeerClosed when nobody receives there any more, -15 NotFound when the path does not exist.
    /// </summary>
    int SendTo(ReadOnlySpan<byte> data, ReadOnlySpan<byte> destination);
}
