using System.Runtime.InteropServices;
using System.Text;

namespace SupHost.Native;

// sys/socket.h, sys/un.h: the non-blocking Unix stream and datagram sockets modules use (unix(7)),
// where EAGAIN is an answer, not a failure (a full backlog, an empty queue).
public static partial class Libc
{
    /// <summary>The longest Unix socket path in bytes (sun_path less its NUL).</summary>
    public const int MaxUnixPathBytes = SunPathLength - 1;

    /// <summary>Whether <paramref name="path"/> fits sun_path (1 to 107 bytes, no NUL).</summary>
    public static bool IsValidUnixPath(string? path) =>
        !string.IsNullOrEmpty(path) && !path.Contains('\0', StringComparison.Ordinal) && Encoding.UTF8.GetByteCount(path) <= MaxUnixPathBytes;

    /// <summary>A connected non-blocking pair of Unix sockets of <paramref name="type"/>; the errno on failure.</summary>
    public static unsafe Errno TrySocketPairNonBlocking(int type, out SafeFd? first, out SafeFd? second)
    {
        first = second = null;
        int* sv = stackalloc int[2];
        if (socketpair(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) != 0)
        {
            return (Errno)Marshal.GetLastPInvokeError();
        }

        first = new SafeFd(sv[0]);
        second = new SafeFd(sv[1]);
        return Errno.None;
    }

    /// <summary>
    /// A non-blocking Unix socket of <paramref name="type"/> bound to <paramref name="path"/>, and
    /// listening with <paramref name="backlog"/> unless it is a datagram socket; the errno of the
    /// step that failed (EADDRINUSE: the path exists).
    /// </summary>
    public static unsafe Errno TryBindUnixNonBlocking(int type, string path, int backlog, out SafeFd? socket)
    {
        socket = null;
        sockaddr_un address = MakeAddress(path, out uint length);
        int raw = Libc.socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (raw < 0)
        {
            return (Errno)Marshal.GetLastPInvokeError();
        }

        var fd = new SafeFd(raw);
        Errno errno = bind(raw, &address, length) == 0 ? Errno.None : (Errno)Marshal.GetLastPInvokeError();
        if (errno == Errno.None && type != SOCK_DGRAM && listen(raw, backlog) != 0)
        {
            errno = (Errno)Marshal.GetLastPInvokeError();
        }

        if (errno != Errno.None)
        {
            fd.Dispose();
            return errno;
        }

        socket = fd;
        return Errno.None;
    }

    /// <summary>
    /// A non-blocking Unix socket of <paramref name="type"/> connected to <paramref name="path"/>
    /// (a datagram socket: its default destination). EAGAIN when a stream listener's backlog is
    /// full (unix(7): a non-blocking connect does not wait for room); ECONNREFUSED when nobody listens.
    /// </summary>
    public static unsafe Errno TryConnectUnixNonBlocking(int type, string path, out SafeFd? socket)
    {
        socket = null;
        sockaddr_un address = MakeAddress(path, out uint length);
        int raw = Libc.socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (raw < 0)
        {
            return (Errno)Marshal.GetLastPInvokeError();
        }

        var fd = new SafeFd(raw);
        while (connect(raw, &address, length) != 0)
        {
            var errno = (Errno)Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                fd.Dispose();
                return errno;
            }
        }

        socket = fd;
        return Errno.None;
    }

    /// <summary>Accepts one pending connection as a non-blocking socket; EAGAIN when none is pending.</summary>
    public static unsafe Errno TryAcceptNonBlocking(SafeFd listener, out SafeFd? accepted)
    {
        accepted = null;
        using var lease = new FdLease(listener);
        while (true)
        {
            int fd = accept4(lease.Raw, null, null, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (fd >= 0)
            {
                accepted = new SafeFd(fd);
                return Errno.None;
            }

            var errno = (Errno)Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                return errno;
            }
        }
    }
}
