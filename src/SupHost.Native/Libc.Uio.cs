using System.Runtime.InteropServices;

namespace SupHost.Native;

// sys/uio.h: preadv2(2), whose RWF_NOWAIT makes one read non-blocking whatever the open file
// description's O_NONBLOCK says (a flag a process sharing the description can change at any time).
public static partial class Libc
{
    private const int RWF_NOWAIT = 0x8;

    [LibraryImport(LibraryName, EntryPoint = "preadv2", SetLastError = true)]
    private static unsafe partial nint preadv2(int fd, iovec* iov, int iovcnt, long offset, int flags);

    /// <summary>
    /// Takes the counter of the eventfd <paramref name="fd"/> without ever blocking, even when a
    /// process sharing the descriptor cleared O_NONBLOCK: a preadv2 with RWF_NOWAIT at the current
    /// position (offset -1), which fs/eventfd.c's eventfd_read answers with EAGAIN at zero (Linux 5.12
    /// and later; earlier kernels refuse RWF_NOWAIT on an eventfd with EOPNOTSUPP, thrown here).
    /// Returns false when the counter was zero; <paramref name="count"/> is what was taken.
    /// </summary>
    public static unsafe bool TryConsumeEventWithoutBlocking(SafeFd fd, out ulong count)
    {
        ulong value = 0;
        var vector = new iovec { iov_base = &value, iov_len = sizeof(ulong) };
        using var lease = new FdLease(fd);
        while (true)
        {
            nint rc = preadv2(lease.Raw, &vector, 1, -1, RWF_NOWAIT);
            if (rc == sizeof(ulong))
            {
                count = value;
                return true;
            }

            var errno = rc < 0 ? (Errno)Marshal.GetLastPInvokeError() : Errno.EIO;
            if (errno == Errno.EINTR)
            {
                continue;
            }

            count = 0;
            return errno == Errno.EAGAIN ? false : throw new NativeException("preadv2(eventfd, RWF_NOWAIT)", errno);
        }
    }
}
