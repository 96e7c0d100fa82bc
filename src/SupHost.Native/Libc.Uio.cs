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

    [LibraryImport(LibraryName, EntryPoint = "pwritev2", SetLastError = true)]
    private static unsafe partial nint pwritev2(int fd, iovec* iov, int iovcnt, long offset, int flags);

    /// <summary>
    /// Reads into <paramref name="buffers"/> in order (readv(2)); at most <see cref="MaxIoVectors"/>
    /// buffers. Returns the errno (EAGAIN when nothing is there on a non-blocking descriptor) rather
    /// than throwing; EINTR is retried. <paramref name="transferred"/> is the bytes read (0: end of file).
    /// With <paramref name="noWait"/> it is preadv2(2) with RWF_NOWAIT at the current position
    /// instead, which never blocks whatever O_NONBLOCK a process sharing the open file description set
    /// (sockets, TAP devices and eventfds honour it; files without FMODE_NOWAIT answer EOPNOTSUPP).
    /// </summary>
    public static unsafe Errno TryReadVector(SafeFd fd, ReadOnlySpan<Memory<byte>> buffers, out int transferred, bool noWait = false) =>
        TransferVector(fd, buffers, write: false, noWait, out transferred);

    /// <summary>Reads into <paramref name="buffer"/> (readv(2) of one buffer); as <see cref="TryReadVector"/>.</summary>
    public static unsafe Errno TryRead(SafeFd fd, Span<byte> buffer, out int transferred, bool noWait = false)
    {
        fixed (byte* pointer = buffer)
        {
            var vector = new iovec { iov_base = pointer, iov_len = (nuint)buffer.Length };
            return TransferVectors(fd, &vector, 1, write: false, noWait, out transferred);
        }
    }

    /// <summary>
    /// Writes <paramref name="data"/> (writev(2) of one buffer); as <see cref="TryReadVector"/>. A
    /// socket whose peer is gone answers EPIPE: the .NET runtime ignores SIGPIPE, so no signal ends
    /// the process. With <paramref name="noWait"/>, pwritev2(2) with RWF_NOWAIT (sockets honour it
    /// as MSG_DONTWAIT; a TAP's write never blocks; an eventfd refuses it with EOPNOTSUPP).
    /// </summary>
    public static unsafe Errno TryWrite(SafeFd fd, ReadOnlySpan<byte> data, out int transferred, bool noWait = false)
    {
        fixed (byte* pointer = data)
        {
            var vector = new iovec { iov_base = pointer, iov_len = (nuint)data.Length };
            return TransferVectors(fd, &vector, 1, write: true, noWait, out transferred);
        }
    }

    /// <summary>
    /// Writes <paramref name="head"/> and then <paramref name="body"/> as one frame, datagram or
    /// stretch of stream (writev(2) of two buffers, pinned where they lie: nothing is copied or
    /// allocated); as <see cref="TryWrite(SafeFd, ReadOnlySpan{byte}, out int, bool)"/>. An empty
    /// <paramref name="body"/> writes the head alone.
    /// </summary>
    public static unsafe Errno TryWrite(SafeFd fd, ReadOnlySpan<byte> head, ReadOnlySpan<byte> body, out int transferred, bool noWait = false)
    {
        if ((long)head.Length + body.Length > int.MaxValue)
        {
            transferred = 0;
            return Errno.EINVAL;
        }

        fixed (byte* headPointer = head)
        fixed (byte* bodyPointer = body)
        {
            iovec* vectors = stackalloc iovec[2];
            vectors[0] = new iovec { iov_base = headPointer, iov_len = (nuint)head.Length };
            vectors[1] = new iovec { iov_base = bodyPointer, iov_len = (nuint)body.Length };
            return TransferVectors(fd, vectors, body.IsEmpty ? 1 : 2, write: true, noWait, out transferred);
        }
    }

    private static unsafe nint Transfer(int fd, iovec* vectors, int count, bool write, bool noWait) =>
        (write, noWait) switch
        {
            (true, false) => writev(fd, vectors, count),
            (false, false) => readv(fd, vectors, count),
            (true, true) => pwritev2(fd, vectors, count, -1, RWF_NOWAIT),
            (false, true) => preadv2(fd, vectors, count, -1, RWF_NOWAIT),
        };

    /// <summary>One readv/writev (or its RWF_NOWAIT form) of <paramref name="count"/> vectors, again after EINTR.</summary>
    private static unsafe Errno TransferVectors(SafeFd fd, iovec* vectors, int count, bool write, bool noWait, out int transferred)
    {
        using var lease = new FdLease(fd);
        while (true)
        {
            nint rc = Transfer(lease.Raw, vectors, count, write, noWait);
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

    /// <summary>Writes <paramref name="buffers"/> in order (writev(2)); as <see cref="TryReadVector"/> and <see cref="TryWrite(SafeFd, ReadOnlySpan{byte}, out int, bool)"/>.</summary>
    public static unsafe Errno TryWriteVector(SafeFd fd, ReadOnlySpan<ReadOnlyMemory<byte>> buffers, out int transferred, bool noWait = false)
    {
        // MemoryMarshal.AsMemory only lends the pointer to writev, which does not write through it.
        Memory<byte>[] writable = new Memory<byte>[buffers.Length];
        for (int i = 0; i < buffers.Length; i++)
        {
            writable[i] = MemoryMarshal.AsMemory(buffers[i]);
        }

        return TransferVector(fd, writable, write: true, noWait, out transferred);
    }

    private static unsafe Errno TransferVector(SafeFd fd, ReadOnlySpan<Memory<byte>> buffers, bool write, bool noWait, out int transferred)
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
                nint rc = Transfer(lease.Raw, vectors, count, write, noWait);
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
