using System.Runtime.InteropServices;

namespace SupHost.Native;

// linux/aio_abi.h, through syscall(2) (glibc wraps none of the io_* calls): Linux AIO, used only to
// signal an eventfd without writing to it. An IOCB_CMD_POLL on a descriptor that is always readable
// completes inside io_submit, and a completion with IOCB_FLAG_RESFD makes the kernel call
// eventfd_signal() on aio_resfd (fs/aio.c, aio_complete): the counter gains one, saturating at
// 2^64-1, and the caller never sleeps, whatever O_NONBLOCK says on the target's open file
// description (fs/eventfd.c, eventfd_signal_mask). write(2) has no such form: pwritev2 with
// RWF_NOWAIT is EOPNOTSUPP on an eventfd.
public static partial class Libc
{
    private const ushort IOCB_CMD_POLL = 5;
    private const uint IOCB_FLAG_RESFD = 1;

    /// <summary>struct iocb (linux/aio_abi.h, 64 bytes; little-endian field order).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct iocb
    {
        public ulong aio_data;
        public uint aio_key;
        public int aio_rw_flags;
        public ushort aio_lio_opcode;
        public short aio_reqprio;
        public uint aio_fildes;
        public ulong aio_buf;
        public ulong aio_nbytes;
        public long aio_offset;
        public ulong aio_reserved2;
        public uint aio_flags;
        public uint aio_resfd;
    }

    /// <summary>struct io_event (linux/aio_abi.h, 32 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct io_event
    {
        public ulong data;
        public ulong obj;
        public long res;
        public long res2;
    }

    /// <summary>struct timespec (16 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct aio_timespec
    {
        public long tv_sec;
        public long tv_nsec;
    }

    // The variadic syscall(2) takes its arguments as longs in registers, as a fixed-argument call
    // does on x86-64 and arm64; unused trailing arguments are ignored by the kernel.
    [LibraryImport(LibraryName, EntryPoint = "syscall", SetLastError = true)]
    private static partial nint syscall(nint number, nint arg1, nint arg2, nint arg3, nint arg4, nint arg5);

    // arch/x86/entry/syscalls/syscall_64.tbl and include/uapi/asm-generic/unistd.h (arm64).
    private static (nint Setup, nint Destroy, nint Submit, nint GetEvents) AioCalls => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => (206, 207, 209, 208),
        Architecture.Arm64 => (0, 1, 2, 4),
        _ => (-1, -1, -1, -1),
    };

    /// <summary>
    /// io_setup(2): a context for up to <paramref name="events"/> requests in flight. Throws with
    /// EAGAIN when fs.aio-max-nr would be exceeded, ENOSYS where the kernel has no AIO.
    /// </summary>
    public static unsafe AioContext SetUpAio(int events)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(events, 1);
        if (AioCalls.Setup < 0)
        {
            throw new NativeException("io_setup", Errno.ENOSYS);
        }

        ulong context = 0;
        return syscall(AioCalls.Setup, events, (nint)(&context), 0, 0, 0) == 0
            ? new AioContext(context)
            : throw NativeException.FromLastError("io_setup");
    }

    /// <summary>
    /// Adds one to the counter of the eventfd <paramref name="target"/> without ever blocking: submits a
    /// poll of <paramref name="alwaysReadable"/> (a descriptor that is readable now and stays so)
    /// whose completion signals <paramref name="target"/>. Returns <see cref="Errno.None"/>, or
    /// EAGAIN when the context has no room for the request (reap its completions and retry).
    /// </summary>
    public static unsafe Errno SignalEventThroughAio(AioContext context, SafeFd alwaysReadable, SafeFd target)
    {
        bool added = false;
        context.DangerousAddRef(ref added);
        try
        {
            using var ready = new FdLease(alwaysReadable);
            using var resfd = new FdLease(target);
            var request = new iocb
            {
                aio_lio_opcode = IOCB_CMD_POLL,
                aio_fildes = (uint)ready.Raw,
                aio_buf = (ulong)(ushort)POLLIN,
                aio_flags = IOCB_FLAG_RESFD,
                aio_resfd = (uint)resfd.Raw,
            };
            iocb* list = &request;
            nint rc = syscall(AioCalls.Submit, (nint)context.DangerousGetHandle(), 1, (nint)(&list), 0, 0);
            return rc == 1 ? Errno.None : rc == 0 ? Errno.EAGAIN : (Errno)Marshal.GetLastPInvokeError();
        }
        finally
        {
            if (added)
            {
                context.DangerousRelease();
            }
        }
    }

    /// <summary>io_getevents(2) with a zero timeout: takes up to <paramref name="max"/> completions that are there, returns how many.</summary>
    public static unsafe int ReapAio(AioContext context, int max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        io_event* events = stackalloc io_event[Math.Min(max, 256)];
        var zero = default(aio_timespec);
        bool added = false;
        context.DangerousAddRef(ref added);
        try
        {
            while (true)
            {
                nint rc = syscall(AioCalls.GetEvents, (nint)context.DangerousGetHandle(), 0, Math.Min(max, 256), (nint)events, (nint)(&zero));
                if (rc >= 0)
                {
                    return (int)rc;
                }

                var errno = (Errno)Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                {
                    throw new NativeException("io_getevents", errno);
                }
            }
        }
        finally
        {
            if (added)
            {
                context.DangerousRelease();
            }
        }
    }

    internal static int DestroyAio(ulong context) => (int)syscall(AioCalls.Destroy, (nint)context, 0, 0, 0, 0);
}
