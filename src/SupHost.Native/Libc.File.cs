using System.Runtime.InteropServices;

namespace SupHost.Native;

// fcntl.h / sys/file.h: open(2) and flock(2), for the daemon's single-instance lock; openat(2)
// with O_NOFOLLOW, for the module loader's walk from / to the module file.
public static partial class Libc
{
    private const int O_RDWR = 0x2;
    private const int O_CREAT = 0x40;
    private const int O_CLOEXEC = 0x80000;
    private const int O_RDONLY = 0x0;
    private const int O_DIRECTORY = 0x10000;
    private const int O_NOFOLLOW = 0x20000;
    private const int O_PATH = 0x200000;
    private const int LOCK_EX = 2;
    private const int LOCK_NB = 4;

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
