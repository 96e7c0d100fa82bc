using System.Runtime.InteropServices;

namespace SupHost.Native;

// sys/eventfd.h, poll.h, unistd.h: eventfd(2) for event semaphores, poll(2) to wait with a timeout.
public static partial class Libc
{
    private const int EFD_CLOEXEC = 0x80000;
    private const int EFD_NONBLOCK = 0x800;
    private const short POLLIN = 0x1;
    private const short POLLHUP = 0x10;
    private const short POLLRDHUP = 0x2000;
    private const short POLLERR = 0x8;

    [StructLayout(LayoutKind.Sequential)]
    internal struct pollfd
    {
        public int fd;
        public short events;
        public short revents;
    }

    [LibraryImport(LibraryName, EntryPoint = "eventfd", SetLastError = true)]
    private static partial int eventfd(uint initval, int flags);

    [LibraryImport(LibraryName, EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint read(int fd, void* buf, nuint count);

    [LibraryImport(LibraryName, EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint write(int fd, void* buf, nuint count);

    [LibraryImport(LibraryName, EntryPoint = "poll", SetLastError = true)]
    private static unsafe partial int poll(pollfd* fds, nuint nfds, int timeout);

    /// <summary>A non-blocking eventfd counting from <paramref name="initialValue"/> (zero: not signalled).</summary>
    public static SafeFd CreateEvent(uint initialValue = 0)
    {
        int raw = eventfd(initialValue, EFD_CLOEXEC | EFD_NONBLOCK);
        return raw < 0 ? throw NativeException.FromLastError("eventfd") : new SafeFd(raw);
    }

    /// <summary>Adds one to the event's counter, waking a waiter.</summary>
    public static void SignalEvent(SafeFd fd) => AddToEvent(fd, 1);

    /// <summary>
    /// Adds <paramref name="value"/> (at most 0xfffffffffffffffe) to the event's counter with write(2):
    /// a write that would pass 0xfffffffffffffffe blocks on a blocking descriptor and fails with
    /// EAGAIN on a non-blocking one (eventfd(2)). For a process signalling its own descriptor.
    /// </summary>
    public static unsafe void AddToEvent(SafeFd fd, ulong value)
    {
        using var lease = new FdLease(fd);
        if (write(lease.Raw, &value, sizeof(ulong)) != sizeof(ulong))
        {
            throw NativeException.FromLastError("write(eventfd)");
        }
    }

    /// <summary>
    /// Takes the event's counter (resetting it); returns false when it was zero. Reading is what
    /// makes an eventfd auto-reset: several signals before one read are one wake-up.
    /// </summary>
    public static unsafe bool TryConsumeEvent(SafeFd fd)
    {
        ulong value;
        using var lease = new FdLease(fd);
        if (read(lease.Raw, &value, sizeof(ulong)) == sizeof(ulong))
        {
            return true;
        }

        var errno = (Errno)Marshal.GetLastPInvokeError();
        return errno == Errno.EAGAIN ? false : throw new NativeException("read(eventfd)", errno);
    }

    /// <summary>
    /// Whether the peer of a connected socket has closed or shut down its sending side, asked
    /// without waiting (poll(2) with POLLRDHUP and a zero timeout). On SOCK_SEQPACKET this tells a
    /// zero-length datagram, which also reads as 0 bytes, from the end of the connection.
    /// </summary>
    public static bool PeerHungUp(SafeFd fd) => (PollOne(fd, POLLRDHUP, 0) & (POLLRDHUP | POLLHUP)) != 0;

    /// <summary>Waits until <paramref name="fd"/> is readable or <paramref name="timeoutMs"/> passes (-1: forever); true when readable.</summary>
    public static bool WaitReadable(SafeFd fd, int timeoutMs) => PollOne(fd, POLLIN, timeoutMs) != 0;

    /// <summary>
    /// True when the eventfd's counter is at 0xffffffffffffffff, the value only eventfd_signal()
    /// reaches (write(2) stops at 0xfffffffffffffffe): fs/eventfd.c's eventfd_poll reports it as
    /// POLLERR (with POLLIN; a read takes the whole count and clears it).
    /// </summary>
    public static bool IsEventSaturated(SafeFd fd) => (PollOne(fd, POLLIN, 0) & POLLERR) != 0;

    /// <summary>poll(2) of one descriptor for <paramref name="events"/>: the events it reports, 0 when <paramref name="timeoutMs"/> passed first; EINTR retried.</summary>
    private static unsafe short PollOne(SafeFd fd, short events, int timeoutMs)
    {
        using var lease = new FdLease(fd);
        var entry = new pollfd { fd = lease.Raw, events = events };
        while (true)
        {
            int rc = poll(&entry, 1, timeoutMs);
            if (rc >= 0)
            {
                return rc > 0 ? entry.revents : (short)0;
            }

            var errno = (Errno)Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                throw new NativeException("poll", errno);
            }
        }
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> (-1: forever) for the event to be signalled. With
    /// <paramref name="consume"/> (auto-reset) the wait takes the signal, so of several waiters only
    /// one succeeds per signal; without it (multi) the event stays signalled. True when signalled.
    /// </summary>
    public static bool WaitEvent(SafeFd fd, bool consume, int timeoutMs)
    {
        if (!consume)
        {
            return WaitReadable(fd, timeoutMs);
        }

        long deadline = timeoutMs < 0 ? long.MaxValue : Environment.TickCount64 + timeoutMs;
        while (true)
        {
            // Poll first: a waiter usually arrives before the signal, and a read that finds nothing
            // would be a system call spent for nothing.
            long left = deadline == long.MaxValue ? -1 : Math.Max(0, deadline - Environment.TickCount64);
            bool readable = WaitReadable(fd, (int)Math.Min(left, int.MaxValue));
            if (readable && TryConsumeEvent(fd))
            {
                return true;
            }

            // Not readable in time, or another waiter took the signal between poll and read.
            if (!readable || (left == 0 && deadline != long.MaxValue))
            {
                return false;
            }
        }
    }
}
