namespace SupHost.Native;

/// <summary>Linux errno values (asm-generic/errno-base.h, asm-generic/errno.h) that SupHost names.</summary>
public enum Errno
{
    /// <summary>No error.</summary>
    None = 0,
    /// <summary>Operation not permitted.</summary>
    EPERM = 1,
    /// <summary>No such file or directory.</summary>
    ENOENT = 2,
    /// <summary>No such process.</summary>
    ESRCH = 3,
    /// <summary>Interrupted system call.</summary>
    EINTR = 4,
    /// <summary>I/O error.</summary>
    EIO = 5,
    /// <summary>No such device or address.</summary>
    ENXIO = 6,
    /// <summary>Bad file descriptor.</summary>
    EBADF = 9,
    /// <summary>Try again (would block).</summary>
    EAGAIN = 11,
    /// <summary>Out of memory.</summary>
    ENOMEM = 12,
    /// <summary>Permission denied.</summary>
    EACCES = 13,
    /// <summary>Bad address.</summary>
    EFAULT = 14,
    /// <summary>Device or resource busy.</summary>
    EBUSY = 16,
    /// <summary>File exists.</summary>
    EEXIST = 17,
    /// <summary>No such device.</summary>
    ENODEV = 19,
    /// <summary>Not a directory.</summary>
    ENOTDIR = 20,
    /// <summary>Invalid argument.</summary>
    EINVAL = 22,
    /// <summary>Too many open files in the system.</summary>
    ENFILE = 23,
    /// <summary>Too many open files.</summary>
    EMFILE = 24,
    /// <summary>No space left on device.</summary>
    ENOSPC = 28,
    /// <summary>Broken pipe.</summary>
    EPIPE = 32,
    /// <summary>Function not implemented.</summary>
    ENOSYS = 38,
    /// <summary>Value too large for defined data type.</summary>
    EOVERFLOW = 75,
    /// <summary>Too many levels of symbolic links (also: O_NOFOLLOW met a link).</summary>
    ELOOP = 40,
    /// <summary>File descriptor in bad state (TUNGETIFF on a /dev/net/tun descriptor with no interface attached).</summary>
    EBADFD = 77,
    /// <summary>Message too long.</summary>
    EMSGSIZE = 90,
    /// <summary>Protocol not available (an unknown socket option).</summary>
    ENOPROTOOPT = 92,
    /// <summary>Operation not supported.</summary>
    EOPNOTSUPP = 95,
    /// <summary>Address already in use.</summary>
    EADDRINUSE = 98,
    /// <summary>Connection reset by peer.</summary>
    ECONNRESET = 104,
    /// <summary>No buffer space available.</summary>
    ENOBUFS = 105,
    /// <summary>Transport endpoint is not connected.</summary>
    ENOTCONN = 107,
    /// <summary>Connection timed out.</summary>
    ETIMEDOUT = 110,
    /// <summary>Connection refused.</summary>
    ECONNREFUSED = 111,
}
