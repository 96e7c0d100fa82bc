using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace SupHost.Native;

// netinet/in.h, netinet/tcp.h: TCP on the loopback address only (127.0.0.1), non-blocking, for a
// module that speaks to a local QEMU (-netdev stream,addr.type=inet). Nothing here binds or
// connects anywhere else.
public static partial class Libc
{
    private const int IPPROTO_TCP = 6;
    private const int TCP_NODELAY = 1;
    private const int SO_REUSEADDR = 2;
    private const int SO_ERROR = 4;
    private const short POLLOUT = 0x4;
    private const int EINPROGRESS = 115;
    private const uint Loopback = 0x7f00_0001;

    /// <summary>struct sockaddr_in (16 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct sockaddr_in
    {
        public ushort sin_family;
        public ushort sin_port;
        public uint sin_addr;
        public fixed byte sin_zero[8];
    }

    [LibraryImport(LibraryName, EntryPoint = "getsockname", SetLastError = true)]
    private static unsafe partial int getsockname(int fd, sockaddr_in* addr, uint* len);

    /// <summary>
    /// A non-blocking TCP listener on 127.0.0.1:<paramref name="port"/> (0: a port the kernel picks;
    /// SO_REUSEADDR, so that connections in TIME_WAIT do not hold the port); <paramref name="boundPort"/>
    /// is the port it listens on. The errno of the step that failed (EADDRINUSE: the port is taken).
    /// </summary>
    public static unsafe Errno TryListenTcpLoopback(int port, int backlog, out SafeFd? socket, out int boundPort)
    {
        socket = null;
        boundPort = 0;
        int raw = Libc.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (raw < 0)
        {
            return (Errno)Marshal.GetLastPInvokeError();
        }

        var fd = new SafeFd(raw);
        int one = 1;
        sockaddr_in address = LoopbackAddress(port);
        uint length = (uint)sizeof(sockaddr_in);
        Errno errno = setsockopt(raw, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(int)) != 0
            || bind(raw, &address, length) != 0
            || listen(raw, backlog) != 0
            || getsockname(raw, &address, &length) != 0
            ? (Errno)Marshal.GetLastPInvokeError()
            : Errno.None;
        if (errno != Errno.None)
        {
            fd.Dispose();
            return errno;
        }

        boundPort = BinaryPrimitives.ReverseEndianness(address.sin_port);
        socket = fd;
        return Errno.None;
    }

    /// <summary>
    /// A non-blocking TCP socket connected to 127.0.0.1:<paramref name="port"/>, with TCP_NODELAY.
    /// The loopback handshake is waited for at most <paramref name="waitMilliseconds"/>: ECONNREFUSED
    /// when nobody listens, EAGAIN when it is still not done (the socket is closed then).
    /// </summary>
    public static unsafe Errno TryConnectTcpLoopback(int port, int waitMilliseconds, out SafeFd? socket)
    {
        socket = null;
        int raw = Libc.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (raw < 0)
        {
            return (Errno)Marshal.GetLastPInvokeError();
        }

        var fd = new SafeFd(raw);
        sockaddr_in address = LoopbackAddress(port);
        Errno errno = Errno.None;
        while (connect(raw, &address, (uint)sizeof(sockaddr_in)) != 0)
        {
            errno = (Errno)Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                break;
            }

            errno = Errno.None;
        }

        if ((int)errno == EINPROGRESS)
        {
            var waiting = new pollfd { fd = raw, events = POLLOUT };
            int error = 0;
            uint size = sizeof(int);
            errno = poll(&waiting, 1, waitMilliseconds) switch
            {
                < 0 => (Errno)Marshal.GetLastPInvokeError(),
                0 => Errno.EAGAIN,
                _ => getsockopt(raw, SOL_SOCKET, SO_ERROR, &error, &size) != 0 ? (Errno)Marshal.GetLastPInvokeError() : (Errno)error,
            };
        }

        if (errno != Errno.None)
        {
            fd.Dispose();
            return errno;
        }

        Errno nodelay = TrySetTcpNoDelay(fd);
        if (nodelay != Errno.None)
        {
            fd.Dispose();
            return nodelay;
        }

        socket = fd;
        return Errno.None;
    }

    /// <summary>TCP_NODELAY on a TCP socket: every frame goes out when written (no Nagle delay).</summary>
    public static unsafe Errno TrySetTcpNoDelay(SafeFd socket)
    {
        using var lease = new FdLease(socket);
        int one = 1;
        return setsockopt(lease.Raw, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(int)) == 0 ? Errno.None : (Errno)Marshal.GetLastPInvokeError();
    }

    private static sockaddr_in LoopbackAddress(int port) => new()
    {
        sin_family = AF_INET,
        sin_port = BinaryPrimitives.ReverseEndianness((ushort)port),
        sin_addr = BinaryPrimitives.ReverseEndianness(Loopback),
    };
}
