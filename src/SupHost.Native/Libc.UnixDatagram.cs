using System.Runtime.InteropServices;

namespace SupHost.Native;

// sys/socket.h: recvfrom(2) and sendto(2) on an unconnected Unix datagram socket (unix(7)), the
// peer named by its sun_path bytes, so that a module learns and answers each peer (QEMU's
// -netdev dgram) without a string per datagram.
public static partial class Libc
{
    [LibraryImport(LibraryName, EntryPoint = "recvfrom", SetLastError = true)]
    private static unsafe partial nint recvfrom(int fd, byte* buffer, nuint length, int flags, sockaddr_un* address, uint* addressLength);

    [LibraryImport(LibraryName, EntryPoint = "sendto", SetLastError = true)]
    private static unsafe partial nint sendto(int fd, byte* buffer, nuint length, int flags, sockaddr_un* address, uint addressLength);

    /// <summary>
    /// Receives one datagram without blocking (MSG_DONTWAIT | MSG_TRUNC) into <paramref name="buffer"/>;
    /// <paramref name="received"/> is its whole length, which is more than the buffer when it was cut.
    /// The sender's sun_path bytes go into <paramref name="source"/> (cut to its length, without the
    /// terminating NUL; an abstract name starts with its NUL); <paramref name="sourceLength"/> is 0
    /// for an unnamed sender. EAGAIN when nothing waits; EINTR is retried.
    /// </summary>
    public static unsafe Errno TryReceiveFrom(SafeFd fd, Span<byte> buffer, Span<byte> source, out int received, out int sourceLength)
    {
        received = 0;
        sourceLength = 0;
        using var lease = new FdLease(fd);
        sockaddr_un address = default;
        fixed (byte* pointer = buffer)
        {
            while (true)
            {
                uint length = (uint)sizeof(sockaddr_un);
                nint rc = recvfrom(lease.Raw, pointer, (nuint)buffer.Length, MSG_DONTWAIT | MSG_TRUNC, &address, &length);
                if (rc >= 0)
                {
                    received = (int)Math.Min(rc, int.MaxValue);
                    int pathLength = (int)Math.Min(Math.Max(length, sizeof(ushort)) - sizeof(ushort), SunPathLength);
                    var path = new ReadOnlySpan<byte>(address.sun_path, pathLength);
                    if (pathLength > 0 && path[0] != 0)
                    {
                        // A filesystem name: up to its NUL (the kernel may count it).
                        int nul = path.IndexOf((byte)0);
                        path = nul >= 0 ? path[..nul] : path;
                    }

                    int copied = Math.Min(path.Length, source.Length);
                    path[..copied].CopyTo(source);
                    sourceLength = copied;
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

    /// <summary>
    /// Sends one datagram without blocking (MSG_DONTWAIT | MSG_NOSIGNAL) to the Unix socket whose
    /// sun_path bytes are <paramref name="destination"/> (1 to 107 bytes; an abstract name starts
    /// with its NUL). EAGAIN when the receiver's queue is full; ECONNREFUSED or ENOENT when nobody
    /// is bound there; EINVAL for a destination that does not fit.
    /// </summary>
    public static unsafe Errno TrySendTo(SafeFd fd, ReadOnlySpan<byte> data, ReadOnlySpan<byte> destination, out int sent)
    {
        sent = 0;
        if (destination.Length is 0 or >= SunPathLength)
        {
            return Errno.EINVAL;
        }

        var address = new sockaddr_un { sun_family = AF_UNIX };
        destination.CopyTo(new Span<byte>(address.sun_path, SunPathLength));
        uint addressLength = (uint)(sizeof(ushort) + destination.Length + (destination[0] == 0 ? 0 : 1));
        using var lease = new FdLease(fd);
        fixed (byte* pointer = data)
        {
            while (true)
            {
                nint rc = sendto(lease.Raw, pointer, (nuint)data.Length, MSG_DONTWAIT | MSG_NOSIGNAL, &address, addressLength);
                if (rc >= 0)
                {
                    sent = (int)rc;
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
}
