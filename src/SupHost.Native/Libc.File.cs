using System.Runtime.InteropServices;

namespace SupHost.Native;

// fcntl.h / sys/file.h: open(2) and flock(2), for the daemon's single-instance lock; openat(2)
// with O_NOFOLLOW, for the module loader's walk from / to the module file; fcntl(2)'s
// F_GETFL/F_SETFL and F_DUPFD_CLOEXEC (the import is in Libc.Mman.cs, declared once).
public static partial class Libc
{
    private const int O_RDONLY = 0x0;
    private const int O_RDWR = 0x2;
    private const int O_CREAT = 0x40;
    private const int O_CLOEXEC = 0x80000;
    private const int O_DIRECTORY = 0x10000;
    private const int O_NOFOLLOW = 0x20000;
    private const int O_PATH = 0x200000;
    private const int LOCK_EX = 2;
    private const int LOCK_NB = 4;
    private const int F_GETFL = 3;
    private const int F_SETFL = 4;
    private const int F_DUPFD_CLOEXEC = 1030;
    private const int O_NONBLOCK = 0x800;

    [LibraryImport(LibraryName, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport(LibraryName, EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int openat(int dirfd, string path, int flags, int mode);

    [LibraryImport(LibraryName, EntryPoint = "flock", SetLastError = true)]
    private static partial int flock(int fd, int operation);

    /// <summary>
    /// Opens (creating with <paramref name="mode"/>) and exclusively locks <paramref name="path"/> without blocking.
    /// Returns null when another process holds the lock; the lock lasts as long as the returned descriptor.
    /// </summary>
    public static SafeFd? TryLockFile(string path, UnixFileMode mode)
    {
        int raw = open(path, O_RDWR | O_CREAT | O_CLOEXEC, (int)mode);
        if (raw < 0)
        {
            throw NativeException.FromLastError("open", path);
        }

        var fd = new SafeFd(raw);
        if (flock(raw, LOCK_EX | LOCK_NB) != 0)
        {
            var errno = (Errno)Marshal.GetLastPInvokeError();
            fd.Dispose();
            if (errno == Errno.EAGAIN)
            {
                return null;
            }

            throw new NativeException("flock", errno, path);
        }

        return fd;
    }

    /// <summary>
    /// A new descriptor for <paramref name="fd"/>'s open file description, close-on-exec
    /// (fcntl(2) F_DUPFD_CLOEXEC): what the daemon hands a module to put in a reply, so that the
    /// object keeps its own descriptor whatever happens to the duplicate. EMFILE/ENFILE throw a
    /// <see cref="NativeException"/> the caller maps to a status.
    /// </summary>
    public static SafeFd Duplicate(SafeFd fd)
    {
        using var lease = new FdLease(fd);
        int raw = fcntl(lease.Raw, F_DUPFD_CLOEXEC, 0);
        return raw < 0 ? throw NativeException.FromLastError("fcntl(F_DUPFD_CLOEXEC)") : new SafeFd(raw);
    }

    /// <summary>Whether O_NONBLOCK is set on <paramref name="fd"/>'s open file description (fcntl F_GETFL).</summary>
    public static bool IsNonBlocking(SafeFd fd)
    {
        using var lease = new FdLease(fd);
        int flags = fcntl(lease.Raw, F_GETFL, 0);
        return flags < 0 ? throw NativeException.FromLastError("fcntl(F_GETFL)") : (flags & O_NONBLOCK) != 0;
    }

    /// <summary>
    /// Sets or clears O_NONBLOCK on <paramref name="fd"/>'s open file description (fcntl F_SETFL). The
    /// flag belongs to the description, so every process holding a duplicate sees the change.
    /// </summary>
    public static void SetNonBlocking(SafeFd fd, bool nonBlocking)
    {
        using var lease = new FdLease(fd);
        int flags = fcntl(lease.Raw, F_GETFL, 0);
        if (flags < 0 || fcntl(lease.Raw, F_SETFL, nonBlocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK) < 0)
        {
            throw NativeException.FromLastError("fcntl(F_SETFL)");
        }
    }

    /// <summary>
    /// Opens /dev/null read-only: a spare descriptor a server holds so that it can still accept
    /// (and refuse) a connection when its descriptors run out. Null on EMFILE or ENFILE.
    /// </summary>
    public static SafeFd? TryOpenSpare()
    {
        int raw = open("/dev/null", O_RDONLY | O_CLOEXEC, 0);
        if (raw >= 0)
        {
            return new SafeFd(raw);
        }

        var errno = (Errno)Marshal.GetLastPInvokeError();
        return errno is Errno.EMFILE or Errno.ENFILE ? null : throw new NativeException("open", errno, "/dev/null");
    }

    /// <summary>
    /// Opens <paramref name="name"/>, one path component, inside the directory <paramref name="directory"/>
    /// (or the root directory "/" itself when <paramref name="directory"/> is null) without
    /// following a symbolic link (O_NOFOLLOW: a link fails with ELOOP, or ENOTDIR for a directory).
    /// A directory is opened O_PATH, a file for reading; both close on exec. Walking down from /
    /// this way, what is checked (by <see cref="GetFileStatus(SafeFd)"/> on the descriptor) is
    /// what is opened next: no rename or link swap between check and use (openat(2)).
    /// </summary>
    public static SafeFd OpenNoFollow(SafeFd? directory, string name, bool isDirectory)
    {
        ArgumentNullException.ThrowIfNull(name);
        int flags = O_NOFOLLOW | O_CLOEXEC | (isDirectory ? O_PATH | O_DIRECTORY : O_RDONLY);
        int raw;
        if (directory is null)
        {
            raw = open(name, flags, 0);
        }
        else
        {
            using var lease = new FdLease(directory);
            raw = openat(lease.Raw, name, flags, 0);
        }

        return raw < 0 ? throw NativeException.FromLastError("openat", name) : new SafeFd(raw);
    }

    /// <summary>Reads <paramref name="length"/> bytes from the start of a file opened for reading (short reads continued; a file that shrank fails).</summary>
    public static unsafe byte[] ReadExactly(SafeFd fd, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        byte[] bytes = new byte[length];
        using var lease = new FdLease(fd);
        fixed (byte* p = bytes)
        {
            int done = 0;
            while (done < length)
            {
                nint n = read(lease.Raw, p + done, (nuint)(length - done));
                if (n < 0)
                {
                    var errno = (Errno)Marshal.GetLastPInvokeError();
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }

                    throw new NativeException("read", errno);
                }

                if (n == 0)
                {
                    throw new NativeException("read", Errno.EIO, $"end of file after {done} of {length} bytes");
                }

                done += (int)n;
            }
        }

        return bytes;
    }
}
