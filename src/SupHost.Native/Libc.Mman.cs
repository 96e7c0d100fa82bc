using System.Runtime.InteropServices;

namespace SupHost.Native;

// sys/mman.h and unistd.h: memfd_create(2), ftruncate(2), mmap(2), munmap(2), mprotect(2), mlock(2).
public static partial class Libc
{
    /// <summary>PROT_NONE.</summary>
    public const int PROT_NONE = 0;
    /// <summary>PROT_READ.</summary>
    public const int PROT_READ = 1;
    /// <summary>PROT_WRITE.</summary>
    public const int PROT_WRITE = 2;

    private const int MAP_SHARED = 0x01;
    private const int MAP_NORESERVE = 0x4000;
    private const int MADV_DONTNEED = 4;
    private const uint MFD_CLOEXEC = 0x1;
    private const uint MFD_ALLOW_SEALING = 0x2;
    private const int F_ADD_SEALS = 1033;
    private const int F_SEAL_SHRINK = 0x2;
    private const int F_SEAL_GROW = 0x4;
    private const int F_SEAL_SEAL = 0x1;
    private const int F_SEAL_FUTURE_WRITE = 0x10;

    [LibraryImport(LibraryName, EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int memfd_create(string name, uint flags);

    [LibraryImport(LibraryName, EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int ftruncate(int fd, long length);

    [LibraryImport(LibraryName, EntryPoint = "fcntl", SetLastError = true)]
    private static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport(LibraryName, EntryPoint = "mmap", SetLastError = true)]
    private static partial nint mmap(nint addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport(LibraryName, EntryPoint = "munmap", SetLastError = true)]
    private static partial int munmap(nint addr, nuint length);

    [LibraryImport(LibraryName, EntryPoint = "madvise", SetLastError = true)]
    private static partial int madvise(nint addr, nuint length, int advice);

    [LibraryImport(LibraryName, EntryPoint = "mprotect", SetLastError = true)]
    private static partial int mprotect(nint addr, nuint length, int prot);

    [LibraryImport(LibraryName, EntryPoint = "mlock", SetLastError = true)]
    private static partial int mlock(nint addr, nuint length);

    [LibraryImport(LibraryName, EntryPoint = "munlock", SetLastError = true)]
    private static partial int munlock(nint addr, nuint length);

    /// <summary>
    /// Creates anonymous shared memory of <paramref name="length"/> bytes with no name in any file
    /// system (memfd_create(2)), its size sealed so that no holder can shrink it under another's mapping.
    /// </summary>
    public static SafeFd CreateSharedMemory(string name, long length) => CreateSharedMemory(name, length, sealSize: true);

    /// <summary>
    /// As <see cref="CreateSharedMemory(string, long)"/>; without <paramref name="sealSize"/> no
    /// seal is set yet, so that the creator can map it writable before <see cref="SealWrites"/>.
    /// </summary>
    public static SafeFd CreateSharedMemory(string name, long length, bool sealSize)
    {
        int raw = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (raw < 0)
        {
            throw NativeException.FromLastError("memfd_create", name);
        }

        var fd = new SafeFd(raw);
        try
        {
            if (ftruncate(raw, length) != 0)
            {
                throw NativeException.FromLastError("ftruncate", name);
            }

            // A peer that could shrink the file would make the daemon's mapping fault (SIGBUS).
            if (sealSize && fcntl(raw, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0)
            {
                throw NativeException.FromLastError("fcntl(F_ADD_SEALS)", name);
            }

            return fd;
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Seals a memfd made by <see cref="CreateSharedMemory(string, long, bool)"/> without seals: its
    /// size is fixed and nobody can write it any more (F_SEAL_FUTURE_WRITE: no write(2), no new
    /// writable shared mapping), while mappings made before stay writable for their owner.
    /// </summary>
    public static void SealWrites(SafeFd fd)
    {
        using var lease = new FdLease(fd);
        if (fcntl(lease.Raw, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) != 0)
        {
            throw NativeException.FromLastError("fcntl(F_ADD_SEALS)");
        }
    }

    /// <summary>A second, read-only descriptor of the same file (open(2) of /proc/self/fd/N with O_RDONLY).</summary>
    public static SafeFd ReopenReadOnly(SafeFd fd)
    {
        using var lease = new FdLease(fd);
        string path = $"/proc/self/fd/{lease.Raw}";
        int raw = open(path, O_CLOEXEC, 0);
        return raw < 0 ? throw NativeException.FromLastError("open", path) : new SafeFd(raw);
    }

    /// <summary>Maps <paramref name="length"/> bytes of <paramref name="fd"/> shared, with <paramref name="protection"/>.</summary>
    public static MappedMemory Map(SafeFd fd, long length, int protection)
    {
        using var lease = new FdLease(fd);
        nint address = mmap(0, (nuint)length, protection, MAP_SHARED, lease.Raw, 0);
        if (address == -1)
        {
            throw NativeException.FromLastError("mmap");
        }

        return new MappedMemory(address, length);
    }

    /// <summary>
    /// Maps <paramref name="length"/> bytes of private anonymous memory, read-write: a buffer whose
    /// pages go back to the kernel when it is disposed (munmap), unlike a large malloc, which glibc's
    /// rising mmap threshold may keep in an arena (mallopt(3), M_MMAP_THRESHOLD). Returns null on ENOMEM.
    /// </summary>
    public static MappedMemory? TryMapAnonymous(long length)
    {
        nint address = mmap(0, (nuint)length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (address == -1)
        {
            var errno = (Errno)Marshal.GetLastPInvokeError();
            return errno == Errno.ENOMEM ? null : throw new NativeException("mmap", errno);
        }

        return new MappedMemory(address, length);
    }

    /// <summary>
    /// Reserves <paramref name="length"/> bytes of private anonymous memory without committing
    /// swap for it (MAP_NORESERVE): no page is resident until it is written, so a buffer of the
    /// largest size a peer may send costs nothing until it does. Null when the kernel refuses
    /// (ENOMEM: the address space, or strict overcommit).
    /// </summary>
    public static MappedMemory? TryReserveAnonymous(long length)
    {
        nint address = mmap(0, (nuint)length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (address == -1)
        {
            var errno = (Errno)Marshal.GetLastPInvokeError();
            return errno == Errno.ENOMEM ? null : throw new NativeException("mmap", errno);
        }

        return new MappedMemory(address, length);
    }

    /// <summary>
    /// Gives the pages of a private anonymous mapping from <paramref name="offset"/> (page-aligned)
    /// for <paramref name="length"/> bytes (rounded up to whole pages, within the mapping) back to
    /// the kernel (madvise MADV_DONTNEED): they read as zero afterwards and are resident no more.
    /// </summary>
    public static void Discard(MappedMemory memory, long offset, long length)
    {
        ArgumentNullException.ThrowIfNull(memory);
        long end = Math.Min(memory.Length, (offset + length + 4095) & ~4095L);
        if (end <= offset)
        {
            return;
        }

        bool added = false;
        try
        {
            memory.DangerousAddRef(ref added);
            if (madvise(memory.DangerousGetHandle() + (nint)offset, (nuint)(end - offset), MADV_DONTNEED) != 0)
            {
                throw NativeException.FromLastError("madvise(MADV_DONTNEED)");
            }
        }
        finally
        {
            if (added)
            {
                memory.DangerousRelease();
            }
        }
    }

    /// <summary>Unmaps a mapping; only <see cref="MappedMemory"/> calls this.</summary>
    internal static int Unmap(nint address, long length) => munmap(address, (nuint)length);

    /// <summary>Changes the protection of pages in a mapping (whole pages, page-aligned offset).</summary>
    public static Errno Protect(MappedMemory memory, long offset, long length, int protection)
    {
        ArgumentNullException.ThrowIfNull(memory);
        bool added = false;
        try
        {
            memory.DangerousAddRef(ref added);
            return mprotect(memory.DangerousGetHandle() + (nint)offset, (nuint)length, protection) == 0
                ? Errno.None
                : (Errno)Marshal.GetLastPInvokeError();
        }
        finally
        {
            if (added)
            {
                memory.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Locks (or unlocks) all of a mapping's pages in RAM, or none: mlock(2) marks the range locked
    /// before it faults the pages in, so a failure part way (ENOMEM past RLIMIT_MEMLOCK or on a
    /// page it cannot fault in, EAGAIN when some pages could not be locked) leaves part of it
    /// locked; that part is unlocked again before the error is returned (mm/mlock.c:
    /// apply_vma_lock_flags, then __mm_populate).
    /// </summary>
    public static Errno Lock(MappedMemory memory, bool locked)
    {
        ArgumentNullException.ThrowIfNull(memory);
        bool added = false;
        try
        {
            memory.DangerousAddRef(ref added);
            nint address = memory.DangerousGetHandle();
            if (!locked)
            {
                return munlock(address, (nuint)memory.Length) == 0 ? Errno.None : (Errno)Marshal.GetLastPInvokeError();
            }

            if (mlock(address, (nuint)memory.Length) == 0)
            {
                return Errno.None;
            }

            var errno = (Errno)Marshal.GetLastPInvokeError();
            _ = munlock(address, (nuint)memory.Length);
            return errno;
        }
        finally
        {
            if (added)
            {
                memory.DangerousRelease();
            }
        }
    }
}
