using System.Runtime.InteropServices;

namespace SupHost.Native;

// time.h and sched.h: clock_gettime(2), sched_setaffinity(2), sched_getcpu(3); and the TSC, read by
// a few bytes of machine code placed in an executable page (no native library to build or ship).
public static partial class Libc
{
    private const int CLOCK_MONOTONIC = 1;
    private const int PROT_EXEC = 4;
    private const int MAP_PRIVATE = 0x02;
    private const int MAP_ANONYMOUS = 0x20;

    // rdtsc; shl rdx, 32; or rax, rdx; ret: the 64-bit time-stamp counter in rax.
    private static ReadOnlySpan<byte> RdtscCode => [0x0F, 0x31, 0x48, 0xC1, 0xE2, 0x20, 0x48, 0x09, 0xD0, 0xC3];

    private static readonly Lock s_stubLock = new();
    private static nint s_rdtsc;

    [StructLayout(LayoutKind.Sequential)]
    internal struct timespec
    {
        public long tv_sec;
        public long tv_nsec;
    }

    [LibraryImport(LibraryName, EntryPoint = "clock_gettime")]
    [SuppressGCTransition]
    private static unsafe partial int clock_gettime(int clockId, timespec* time);

    [LibraryImport(LibraryName, EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static unsafe partial int sched_setaffinity(int pid, nuint size, ulong* mask);

    [LibraryImport(LibraryName, EntryPoint = "sched_getcpu")]
    [SuppressGCTransition]
    private static partial int sched_getcpu();

    /// <summary>CLOCK_MONOTONIC in nanoseconds (clock_gettime(2), through the vDSO: no system call).</summary>
    public static unsafe ulong MonotonicNanoseconds()
    {
        timespec time;
        _ = clock_gettime(CLOCK_MONOTONIC, &time);
        return (ulong)time.tv_sec * 1_000_000_000UL + (ulong)time.tv_nsec;
    }

    /// <summary>The CPU the calling thread runs on now.</summary>
    public static int CurrentCpu() => sched_getcpu();

    /// <summary>Pins the calling thread to <paramref name="cpu"/> (0..1023); EINVAL when that CPU is not allowed.</summary>
    public static unsafe Errno PinThread(int cpu)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cpu);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(cpu, 1023);
        ulong* mask = stackalloc ulong[16];
        new Span<ulong>(mask, 16).Clear();
        mask[cpu / 64] = 1UL << (cpu % 64);
        return sched_setaffinity(0, 16 * sizeof(ulong), mask) == 0 ? Errno.None : (Errno)Marshal.GetLastPInvokeError();
    }

    /// <summary>
    /// A function that returns the time-stamp counter (rdtsc), for calling through an unmanaged
    /// function pointer without a GC transition; about the cost of an inline rdtsc. Null on
    /// processors other than x86-64, and where the process may not make executable memory (an
    /// execmem policy). The code page is made once and lives as long as the process.
    /// </summary>
    public static unsafe delegate* unmanaged[SuppressGCTransition]<ulong> TscReader()
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return null;
        }

        lock (s_stubLock)
        {
            if (s_rdtsc == 0)
            {
                nint page = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (page == -1)
                {
                    return null;
                }

                RdtscCode.CopyTo(new Span<byte>((void*)page, 4096));
                if (mprotect(page, 4096, PROT_READ | PROT_EXEC) != 0)
                {
                    _ = munmap(page, 4096);
                    return null;
                }

                s_rdtsc = page;
            }

            return (delegate* unmanaged[SuppressGCTransition]<ulong>)s_rdtsc;
        }
    }
}
