using System.Runtime.InteropServices;

namespace SupHost.Native;

// sys/uio.h: preadv2(2), whose RWF_NOWAIT makes one read non-blocking whatever the open file
// description's O_NONBLOCK says (a flag a process sharing the description can change at any time).
public static partial class Libc
{
    private const int RWF_NOWAIT = 0x8;

    /// <summary>The most buffers one vectored call takes here (the kernel's UIO_MAXIOV is 1024).</summary>
    public const int MaxIoVectors = 64;

    [LibraryImport(LibraryName, EntryPoint = "readv", SetLastError = true)]
    private static unsafe partial nint readv(int fd, iovec* iov, int iovcnt);

    [LibraryImport(LibraryName, EntryPoint = "writev", SetLastError = true)]
    private static unsafe partial nint writev(int fd, iovec* iov, int iovcnt);

    /// <summary>
    /// Reads into <paramref name="buffers"/> in order (readv(2)); at most <see cref="MaxIoVectors"/>
    /// buffers. Returns the errno (EAGAIN when nothing is there on a non-blocking descriptor) rather
    /// than throwing; EINTR is retried. <paramref name="transferred"/> is the bytes read (0: end of file).
    /// </summary>
    public static unsafe Errno TryReadVector(SafeFd fd, ReadOnlySpan<Memory<byte>> buffers, out int transferred) =>
        TransferVector(fd, buffers, write: false, out transferred);

    /// <summary>Reads into <paramref name="buffer"/> (readv(2) of one buffer); as <see cref="TryReadVector"/>.</summary>
    public static unsafe Errno TryRead(SafeFd fd, Span<byte> buffer, out int transferred)
    {
        fixed (byte* pointer = buffer)
        {
            var vector = new iovec { iov_base = pointer, iov_len = (nuint)buffer.Length };
            return TransferOne(fd, &vector, write: false, out transferred);
        }
    }

    /// <summary>
    /// Writes <paramref name="data"/> (writev(2) of one buffer); as <see cref="TryReadVector"/>. A
    /// socket whose peer is gone answers EPIPE: the .NET runtime ignores SIGPIPE, so no signal ends the process.
    /// </summary>
    public static unsafe Errno TryWrite(SafeFd fd, ReadOnlySpan<byte> data, out int transferred)
    {
        fixed (byte* pointer = data)
        {
            var vector = new iovec { iov_base = pointer, iov_len = (nuint)data.Length };
            return TransferOne(fd, &vector, write: true, out transferred);
        }
    }

    private static unsafe Errno TransferOne(SafeFd fd, iovec* vector, bool write, out int transferred)
    {
        using var lease = new FdLease(fd);
        while (true)
        {
            nint rc = write ? writev(lease.Raw, vector, 1) : readv(lease.Raw, vector, 1);
            if (rc >= 0)
            {
                transferred = (int)rc;
                return Errno.None;
            }

            var errno = (Errno)Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                transferred = 0;
                return errno;
            }
        }
    }

    /// <summary>Writes <paramref name="buffers"/> in order (writev(2)); as <see cref="TryReadVector"/>.</summary>
    public static unsafe Errno TryWriteVector(SafeFd fd, ReadOnlySpan<ReadOnlyMemory<byte>> buffers, out int transferred)
    {
        // MemoryMarshal.AsMemory only lends the pointer to writev, which does not write through it.
        Memory<byte>[] writable = new Memory<byte>[buffers.Length];
        for (int i = 0; i < buffers.Length; i++)
        {
            writable[i] = MemoryMarshal.AsMemory(buffers[i]);
        }

        return TransferVector(fd, writable, write: true, out transferred);
    }

    private static unsafe Errno TransferVector(SafeFd fd, ReadOnlySpan<Memory<byte>> buffers, bool write, out int transferred)
    {
        transferred = 0;
        int count = buffers.Length;
        if (count is < 1 or > MaxIoVectors)
        {
            return Errno.EINVAL;
        }

        iovec* vectors = stackalloc iovec[count];
        var pins = new System.Buffers.MemoryHandle[count];
        long total = 0;
        try
        {
            for (int i = 0; i < count; i++)
            {
                Memory<byte> memory = buffers[i];
                pins[i] = memory.Pin();
                vectors[i] = new iovec { iov_base = pins[i].Pointer, iov_len = (nuint)memory.Length };
                total += memory.Length;
            }

            if (total > int.MaxValue)
            {
                return Errno.EINVAL;
            }

            using var lease = new FdLease(fd);
            while (true)
            {
                nint rc = write ? writev(lease.Raw, vectors, count) : readv(lease.Raw, vectors, count);
                if (rc >= 0)
                {
                    transferred = (int)rc;
                    return Errno.None;
                }

                var errno = (Errno)Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                {
                    return errno;
                }
            }
        }
        finally
        {
            foreach (System.Buffers.MemoryHandle pin in pins)
            {
                pin.Dispose();
            }
        }
    }

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
