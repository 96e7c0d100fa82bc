using System.Runtime.InteropServices;

namespace SupHost.Native;

// sys/epoll.h: epoll(7), for one thread that watches many sockets (hang-ups, first requests).
public static partial class Libc
{
    /// <summary>EPOLLIN: readable.</summary>
    public const uint EPOLLIN = 0x001;
    /// <summary>EPOLLOUT: writable.</summary>
    public const uint EPOLLOUT = 0x004;
    /// <summary>EPOLLERR: an error is pending (always reported).</summary>
    public const uint EPOLLERR = 0x008;
    /// <summary>EPOLLHUP: both directions are shut down (always reported).</summary>
    public const uint EPOLLHUP = 0x010;
    /// <summary>EPOLLRDHUP: the peer closed or shut down its sending side.</summary>
    public const uint EPOLLRDHUP = 0x2000;
    /// <summary>EPOLLONESHOT: report once, then disarm until modified again.</summary>
    public const uint EPOLLONESHOT = 1u << 30;

    private const int EPOLL_CLOEXEC = 0x80000;
    private const int EPOLL_CTL_ADD = 1;
    private const int EPOLL_CTL_DEL = 2;
    private const int EPOLL_CTL_MOD = 3;

    /// <summary>struct epoll_event: packed on x86-64 (12 bytes), as the kernel's __EPOLL_PACKED says.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    internal struct epoll_event
    {
        public uint events;
        public ulong data;
    }

    [LibraryImport(LibraryName, EntryPoint = "epoll_create1", SetLastError = true)]
    private static partial int epoll_create1(int flags);

    [LibraryImport(LibraryName, EntryPoint = "epoll_ctl", SetLastError = true)]
    private static unsafe partial int epoll_ctl(int epfd, int op, int fd, epoll_event* ev);

    [LibraryImport(LibraryName, EntryPoint = "epoll_wait", SetLastError = true)]
    private static unsafe partial int epoll_wait(int epfd, epoll_event* events, int maxevents, int timeout);

    /// <summary>A new epoll instance (close-on-exec).</summary>
    public static SafeFd EpollCreate()
    {
        int raw = epoll_create1(EPOLL_CLOEXEC);
        return raw < 0 ? throw NativeException.FromLastError("epoll_create1") : new SafeFd(raw);
    }

    /// <summary>
    /// Adds <paramref name="fd"/> to <paramref name="epoll"/> for <paramref name="events"/>, reported with
    /// <paramref name="data"/>. Returns the errno (ENOMEM, ENOSPC at max_user_watches) rather than throwing.
    /// </summary>
    public static unsafe Errno EpollAdd(SafeFd epoll, SafeFd fd, uint events, ulong data)
    {
        var ev = new epoll_event { events = events, data = data };
        using var epollLease = new FdLease(epoll);
        using var lease = new FdLease(fd);
        return epoll_ctl(epollLease.Raw, EPOLL_CTL_ADD, lease.Raw, &ev) == 0 ? Errno.None : (Errno)Marshal.GetLastPInvokeError();
    }

    /// <summary>Changes what <paramref name="fd"/> is watched for in <paramref name="epoll"/>; returns the errno (ENOENT when it is not in the set).</summary>
    public static unsafe Errno EpollModify(SafeFd epoll, SafeFd fd, uint events, ulong data)
    {
        var ev = new epoll_event { events = events, data = data };
        using var epollLease = new FdLease(epoll);
        using var lease = new FdLease(fd);
        return epoll_ctl(epollLease.Raw, EPOLL_CTL_MOD, lease.Raw, &ev) == 0 ? Errno.None : (Errno)Marshal.GetLastPInvokeError();
    }

    /// <summary>Removes <paramref name="fd"/> from <paramref name="epoll"/>; a descriptor not in the set is no error.</summary>
    public static unsafe void EpollRemove(SafeFd epoll, SafeFd fd)
    {
        epoll_event ev = default;
        using var epollLease = new FdLease(epoll);
        using var lease = new FdLease(fd);
        _ = epoll_ctl(epollLease.Raw, EPOLL_CTL_DEL, lease.Raw, &ev);
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> (-1: forever) for events; fills <paramref name="events"/>
    /// and <paramref name="data"/> pairwise and returns how many. EINTR counts as zero events.
    /// </summary>
    public static unsafe int EpollWait(SafeFd epoll, Span<uint> events, Span<ulong> data, int timeoutMs)
    {
        int max = Math.Min(Math.Min(events.Length, data.Length), 256);
        epoll_event* ready = stackalloc epoll_event[max];
        using var lease = new FdLease(epoll);
        int count = epoll_wait(lease.Raw, ready, max, timeoutMs);
        if (count < 0)
        {
            var errno = (Errno)Marshal.GetLastPInvokeError();
            return errno == Errno.EINTR ? 0 : throw new NativeException("epoll_wait", errno);
        }

        for (int i = 0; i < count; i++)
        {
            events[i] = ready[i].events;
            data[i] = ready[i].data;
        }

        return count;
    }
}
