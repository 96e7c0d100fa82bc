using System.Runtime.InteropServices;

namespace SupHost.Native;

// malloc.h (glibc): mallopt(3), malloc_trim(3), for a daemon whose footprint settles back after
// bursts of sessions instead of keeping every arena and every large buffer it ever used.
public static partial class Libc
{
    private const int M_TRIM_THRESHOLD = -1;
    private const int M_MMAP_THRESHOLD = -3;
    private const int M_ARENA_MAX = -8;

    [LibraryImport(LibraryName, EntryPoint = "mallopt")]
    private static partial int mallopt(int param, int value);

    [LibraryImport(LibraryName, EntryPoint = "malloc_trim")]
    private static partial int malloc_trim(nuint pad);

    /// <summary>
    /// Bounds what the C heap keeps: at most <paramref name="arenas"/> arenas (glibc makes up to
    /// 8 per CPU, one per thread that allocates at once, and never gives them back), and a fixed
    /// mmap threshold so that large buffers are always mapped and unmapped on free (a fixed
    /// threshold also stops glibc raising it after the first large free, which would move later
    /// megabyte buffers into an arena for good). Call it before other threads start. Returns false
    /// when the C library refused a setting (not glibc).
    /// </summary>
    public static bool LimitMallocFootprint(int arenas, int mmapThreshold)
    {
        bool ok = mallopt(M_ARENA_MAX, arenas) == 1;
        ok &= mallopt(M_MMAP_THRESHOLD, mmapThreshold) == 1;
        ok &= mallopt(M_TRIM_THRESHOLD, mmapThreshold) == 1;
        return ok;
    }

    /// <summary>Gives the C heap's free memory at the top of every arena back to the kernel; true when some was.</summary>
    public static bool TrimMalloc() => malloc_trim(0) == 1;
}
