using System.Runtime.InteropServices;

namespace SupHost.Native;

// sys/stat.h and unistd.h: stat(2) for ownership and mode (the module trust check), chown(2).
public static partial class Libc
{
    /// <summary>struct stat on x86-64 (144 bytes); only the fields SupHost reads are named.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 144)]
    internal struct stat_t
    {
        [FieldOffset(24)]
        public uint st_mode;

        [FieldOffset(28)]
        public uint st_uid;

        [FieldOffset(32)]
        public uint st_gid;

        [FieldOffset(40)]
        public ulong st_rdev;

        [FieldOffset(48)]
        public long st_size;
    }

    [LibraryImport(LibraryName, EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int chown(string path, uint owner, uint group);

    [LibraryImport(LibraryName, EntryPoint = "fstat", SetLastError = true)]
    private static unsafe partial int fstat(int fd, stat_t* buf);

    [LibraryImport(LibraryName, EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int stat(string path, stat_t* buf);

    /// <summary>Changes the owner and group of <paramref name="path"/>; <c>uint.MaxValue</c> leaves one unchanged.</summary>
    public static void ChangeOwner(string path, uint uid, uint gid)
    {
        if (chown(path, uid, gid) != 0)
        {
            throw NativeException.FromLastError("chown", path);
        }
    }

    /// <summary>The owner, group and mode bits of <paramref name="path"/> (following links).</summary>
    public static unsafe FileStatus GetFileStatus(string path)
    {
        stat_t st;
        if (stat(path, &st) != 0)
        {
            throw NativeException.FromLastError("stat", path);
        }

        return new FileStatus(st.st_mode, st.st_uid, st.st_gid, st.st_size);
    }

    /// <summary>fstat(2) of an open descriptor (an O_PATH one included): the object opened, not whatever a path names now.</summary>
    public static unsafe FileStatus GetFileStatus(SafeFd fd)
    {
        stat_t st;
        using var lease = new FdLease(fd);
        if (fstat(lease.Raw, &st) != 0)
        {
            throw NativeException.FromLastError("fstat");
        }

        return new FileStatus(st.st_mode, st.st_uid, st.st_gid, st.st_size);
    }

    /// <summary>
    /// fstat(2) of an open descriptor, for telling what a descriptor a client sent is: its file type
    /// (st_mode &amp; S_IFMT) and, for a device, its major and minor numbers (glibc's dev_t encoding).
    /// Returns the errno rather than throwing.
    /// </summary>
    public static unsafe Errno TryGetFileType(SafeFd fd, out uint fileType, out uint major, out uint minor)
    {
        stat_t st;
        using var lease = new FdLease(fd);
        if (fstat(lease.Raw, &st) != 0)
        {
            (fileType, major, minor) = (0, 0, 0);
            return (Errno)Marshal.GetLastPInvokeError();
        }

        fileType = st.st_mode & 0xf000;
        major = (uint)(((st.st_rdev >> 8) & 0xfff) | ((st.st_rdev >> 32) & 0xfffff000));
        minor = (uint)((st.st_rdev & 0xff) | ((st.st_rdev >> 12) & 0xffffff00));
        return Errno.None;
    }
}
