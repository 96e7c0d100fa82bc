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

    // The TSC stubs, each at its own 64-byte slot of one executable page. The 64-bit counter is
    // returned in rax (shl rdx, 32; or rax, rdx). rdtsc alone may run before earlier loads and after
    // later ones; the ordered forms keep it in program order (Intel SDM vol. 2, RDTSC/RDTSCP: "LFENCE
    // before RDTSC"; "LFENCE immediately after RDTSCP" so that no later instruction starts before it).
    //   raw:      rdtsc; shl; or; ret
    //   ordered:  rdtscp; lfence; shl; or; ret            (ecx, the processor id, is dropped)
    //   fenced:   lfence; rdtsc; lfence; shl; or; ret     (where the CPU has no rdtscp)
    //   with id:  rdtscp; lfence; mov [rdi], ecx; shl; or; ret
    //   then load (rdi: the u32 to load, rsi: where to store it, rdx: where to store the processor id):
    //             mov r9, rdx; rdtscp; shl; or; mov rdx, rax; sub rdx, rax; mov r8d, [rdi + rdx];
    //             mov [rsi], r8d; mov [r9], ecx; ret
    //     (without rdtscp: lfence; rdtsc in its place, and the id 0). rdx is 0 but computed from
    //     the TSC, so the load's address is known only once the counter is read: the load cannot
    //     execute before it, without the cost of an lfence after the TSC (x86 has no value
    //     prediction for addresses; sub of two different registers is not a zeroing idiom).
    // Where lfence is known to be dispatch-serializing (Intel: always, SDM vol. 2 LFENCE; AMD and
    // Hygon: CPUID 0x80000021 EAX bit 2, "LFENCE always serializing"), "lfence; rdtsc" orders the
    // counter after every earlier instruction as rdtscp does, and is cheaper on the CPUs measured
    // here (AMD family 1Ah: 16.5 against 18.9 ns a read, bench gip). The ordered reader and the
    // then-load reader without a processor id use it there; what needs the id keeps rdtscp.
    private static ReadOnlySpan<byte> RdtscCode => [0x0F, 0x31, 0x48, 0xC1, 0xE2, 0x20, 0x48, 0x09, 0xD0, 0xC3];

    private static ReadOnlySpan<byte> RdtscpCode => [0x0F, 0x01, 0xF9, 0x0F, 0xAE, 0xE8, 0x48, 0xC1, 0xE2, 0x20, 0x48, 0x09, 0xD0, 0xC3];

    private static ReadOnlySpan<byte> FencedRdtscCode => [0x0F, 0xAE, 0xE8, 0x0F, 0x31, 0x0F, 0xAE, 0xE8, 0x48, 0xC1, 0xE2, 0x20, 0x48, 0x09, 0xD0, 0xC3];

    private static ReadOnlySpan<byte> RdtscpWithIdCode => [0x0F, 0x01, 0xF9, 0x0F, 0xAE, 0xE8, 0x89, 0x0F, 0x48, 0xC1, 0xE2, 0x20, 0x48, 0x09, 0xD0, 0xC3];

    private static ReadOnlySpan<byte> RdtscpThenLoadCode =>
    [
        0x49, 0x89, 0xD1, // mov r9, rdx
        0x0F, 0x01, 0xF9, // rdtscp
        0x48, 0xC1, 0xE2, 0x20, 0x48, 0x09, 0xD0, // shl rdx, 32; or rax, rdx
        0x48, 0x89, 0xC2, 0x48, 0x29, 0xC2, // mov rdx, rax; sub rdx, rax
        0x44, 0x8B, 0x04, 0x17, // mov r8d, [rdi + rdx]
        0x44, 0x89, 0x06, // mov [rsi], r8d
        0x41, 0x89, 0x09, // mov [r9], ecx
        0xC3,
    ];

    private static ReadOnlySpan<byte> FencedRdtscThenLoadCode =>
    [
        0x49, 0x89, 0xD1, // mov r9, rdx
        0x0F, 0xAE, 0xE8, 0x0F, 0x31, // lfence; rdtsc
        0x48, 0xC1, 0xE2, 0x20, 0x48, 0x09, 0xD0, // shl rdx, 32; or rax, rdx
        0x48, 0x89, 0xC2, 0x48, 0x29, 0xC2, // mov rdx, rax; sub rdx, rax
        0x44, 0x8B, 0x04, 0x17, // mov r8d, [rdi + rdx]
        0x44, 0x89, 0x06, // mov [rsi], r8d
        0x31, 0xC9, 0x41, 0x89, 0x09, // xor ecx, ecx; mov [r9], ecx
        0xC3,
    ];

    // A GIP layout 2 entry read in one call (Libc.GipEntryReader), compiled from
    // stubs/gip-entry-read.c (the command and the compiler are there): 162 bytes each, in 256-byte
    // slots from offset 512.
    private static ReadOnlySpan<byte> GipEntryReadLfenceCode =>
    [
        0x55, 0x53, 0x8B, 0x37, 0x4C, 0x8B, 0x4F, 0x08, 0x4C, 0x8B, 0x5F, 0x10, 0x4C, 0x8B, 0x47, 0x18,
        0x4C, 0x8B, 0x57, 0x20, 0x48, 0x8B, 0x5F, 0x28, 0x48, 0x8B, 0x6F, 0x30, 0x0F, 0xAE, 0xE8, 0x0F,
        0x31, 0x48, 0xC1, 0xE2, 0x20, 0x48, 0x09, 0xD0, 0x48, 0x89, 0xC2, 0x48, 0x29, 0xC2, 0x8B, 0x3C,
        0x17, 0x89, 0xF2, 0x31, 0xFE, 0x31, 0xC9, 0x83, 0xE2, 0x01, 0x09, 0xF2, 0x75, 0x35, 0x4C, 0x29,
        0xD8, 0x48, 0x89, 0xC1, 0x48, 0x85, 0xC0, 0x7E, 0x37, 0x48, 0x39, 0xC5, 0x72, 0x32, 0x49, 0x39,
        0xC2, 0x73, 0x3D, 0x4C, 0x89, 0xC0, 0x49, 0xF7, 0xE2, 0x48, 0x0F, 0xAC, 0xD0, 0x20, 0x49, 0x01,
        0xC1, 0x48, 0x89, 0xC8, 0x4C, 0x29, 0xD0, 0x48, 0xF7, 0xE3, 0x48, 0x0F, 0xAC, 0xD0, 0x20, 0x49,
        0x8D, 0x0C, 0x01, 0x48, 0x89, 0xC8, 0x5B, 0x5D, 0xC3, 0x0F, 0x1F, 0x80, 0x00, 0x00, 0x00, 0x00,
        0xB9, 0x01, 0x00, 0x00, 0x00, 0x5B, 0x5D, 0x48, 0x89, 0xC8, 0xC3, 0x0F, 0x1F, 0x44, 0x00, 0x00,
        0x49, 0xF7, 0xE0, 0x5B, 0x5D, 0x48, 0x0F, 0xAC, 0xD0, 0x20, 0x49, 0x8D, 0x0C, 0x01, 0x48, 0x89,
        0xC8, 0xC3,
    ];

    private static ReadOnlySpan<byte> GipEntryReadRdtscpCode =>
    [
        0x55, 0x53, 0x8B, 0x37, 0x4C, 0x8B, 0x4F, 0x08, 0x4C, 0x8B, 0x5F, 0x10, 0x4C, 0x8B, 0x47, 0x18,
        0x4C, 0x8B, 0x57, 0x20, 0x48, 0x8B, 0x5F, 0x28, 0x48, 0x8B, 0x6F, 0x30, 0x0F, 0x01, 0xF9, 0x48,
        0xC1, 0xE2, 0x20, 0x48, 0x09, 0xD0, 0x48, 0x89, 0xC2, 0x48, 0x29, 0xC2, 0x8B, 0x3C, 0x17, 0x89,
        0xF2, 0x31, 0xFE, 0x31, 0xC9, 0x83, 0xE2, 0x01, 0x09, 0xF2, 0x75, 0x35, 0x4C, 0x29, 0xD8, 0x48,
        0x89, 0xC1, 0x48, 0x85, 0xC0, 0x7E, 0x39, 0x48, 0x39, 0xC5, 0x72, 0x34, 0x49, 0x39, 0xC2, 0x73,
        0x3F, 0x4C, 0x89, 0xC0, 0x49, 0xF7, 0xE2, 0x48, 0x0F, 0xAC, 0xD0, 0x20, 0x49, 0x01, 0xC1, 0x48,
        0x89, 0xC8, 0x4C, 0x29, 0xD0, 0x48, 0xF7, 0xE3, 0x48, 0x0F, 0xAC, 0xD0, 0x20, 0x49, 0x8D, 0x0C,
        0x01, 0x48, 0x89, 0xC8, 0x5B, 0x5D, 0xC3, 0x66, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xB9, 0x01, 0x00, 0x00, 0x00, 0x5B, 0x5D, 0x48, 0x89, 0xC8, 0xC3, 0x0F, 0x1F, 0x44, 0x00, 0x00,
        0x49, 0xF7, 0xE0, 0x5B, 0x5D, 0x48, 0x0F, 0xAC, 0xD0, 0x20, 0x49, 0x8D, 0x0C, 0x01, 0x48, 0x89,
        0xC8, 0xC3,
    ];

    private const int StubSlot = 64;
    private const int GipEntryReadLfenceOffset = 512;
    private const int GipEntryReadRdtscpOffset = 768;

    private static readonly Lock s_stubLock = new();
    private static nint s_stubs;
    private static bool s_hasRdtscp;
    private static bool s_lfenceSerializes;

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
    /// function pointer without a GC transition; about the cost of an inline rdtsc. Not ordered: the
    /// processor may read the counter before earlier loads complete. Null on processors other than
    /// x86-64, and where the process may not make executable memory (an execmem policy). The code
    /// page is made once and lives as long as the process.
    /// </summary>
    public static unsafe delegate* unmanaged[SuppressGCTransition]<ulong> TscReader() =>
        (delegate* unmanaged[SuppressGCTransition]<ulong>)Stub(0);

    /// <summary>
    /// The TSC read in program order (lfence, rdtsc, lfence where lfence is dispatch-serializing or
    /// the CPU has no rdtscp; rdtscp then lfence otherwise): it reads the counter after every earlier
    /// load completed and before any later instruction starts, so a read that happens after another
    /// thread's read (through memory) sees a later TSC when the TSCs are synchronised. Null where
    /// <see cref="TscReader"/> is.
    /// </summary>
    public static unsafe delegate* unmanaged[SuppressGCTransition]<ulong> OrderedTscReader() =>
        (delegate* unmanaged[SuppressGCTransition]<ulong>)(Stub(0) == 0 ? 0 : Stub(s_hasRdtscp && !s_lfenceSerializes ? StubSlot : 2 * StubSlot));

    /// <summary>
    /// How <see cref="OrderedTscReader"/> and <see cref="TscThenLoadWithoutCpuReader"/> order the
    /// counter on this CPU: "lfence; rdtsc" or "rdtscp"; "none" where <see cref="TscReader"/> is null.
    /// </summary>
    public static string OrderedTscForm => Stub(0) == 0 ? "none" : s_hasRdtscp && !s_lfenceSerializes ? "rdtscp" : "lfence; rdtsc";

    /// <summary>
    /// rdtscp then lfence, storing the processor id the TSC was read on (IA32_TSC_AUX, which Linux
    /// sets to the CPU number with the NUMA node above bit 12) through the pointer argument. Null
    /// where <see cref="TscReader"/> is, or when the CPU has no rdtscp.
    /// </summary>
    public static unsafe delegate* unmanaged[SuppressGCTransition]<uint*, ulong> OrderedTscWithCpuReader() =>
        (delegate* unmanaged[SuppressGCTransition]<uint*, ulong>)(Stub(0) != 0 && s_hasRdtscp ? Stub(3 * StubSlot) : 0);

    /// <summary>
    /// Reads the TSC after every earlier instruction has executed (rdtscp; lfence then rdtsc without
    /// rdtscp), then loads the u32 at the first argument through an address computed from the TSC,
    /// so that the load happens after the TSC read; stores the loaded value through the second
    /// argument and the processor id (IA32_TSC_AUX; 0 without rdtscp) through the third, and
    /// returns the TSC. A seqlock reader's TSC and second id load, ordered for the cost of one rdtscp.
    /// Null where <see cref="TscReader"/> is.
    /// </summary>
    public static unsafe delegate* unmanaged[SuppressGCTransition]<uint*, uint*, uint*, ulong> TscThenLoadReader() =>
        (delegate* unmanaged[SuppressGCTransition]<uint*, uint*, uint*, ulong>)(Stub(0) == 0 ? 0 : Stub(s_hasRdtscp ? 4 * StubSlot : 5 * StubSlot));

    /// <summary>
    /// The same contract as <see cref="TscThenLoadReader"/> without the processor id (0 is stored
    /// through the third argument), in the cheaper ordering where the CPU has it (lfence; rdtsc
    /// where lfence is dispatch-serializing; see <see cref="OrderedTscForm"/>). For a reader that
    /// does not need to know its CPU. Null where <see cref="TscReader"/> is.
    /// </summary>
    public static unsafe delegate* unmanaged[SuppressGCTransition]<uint*, uint*, uint*, ulong> TscThenLoadWithoutCpuReader() =>
        (delegate* unmanaged[SuppressGCTransition]<uint*, uint*, uint*, ulong>)(Stub(0) == 0 ? 0 : Stub(s_hasRdtscp && !s_lfenceSerializes ? 4 * StubSlot : 5 * StubSlot));

    /// <summary>
    /// One read of a CPU entry of a GIP of layout 2 (docs/gip.md, Reading: steps 2, 4 and 5) in one
    /// call: the transaction id and the fields, the TSC in order (as <see cref="OrderedTscForm"/>
    /// says), the id again after the TSC, and the formula. The argument is the entry's address.
    /// Returns the time in nanoseconds, or 0 for what the caller must handle itself (a torn read, a
    /// TSC at or before the entry's, an entry past its staleness bound). Null where
    /// <see cref="TscReader"/> is. The source is stubs/gip-entry-read.c.
    /// </summary>
    public static unsafe delegate* unmanaged[SuppressGCTransition]<byte*, ulong> GipEntryReader() =>
        (delegate* unmanaged[SuppressGCTransition]<byte*, ulong>)(Stub(0) == 0 ? 0 : Stub(s_hasRdtscp && !s_lfenceSerializes ? GipEntryReadRdtscpOffset : GipEntryReadLfenceOffset));

    /// <summary>
    /// Whether lfence waits for every earlier instruction to complete before later ones start
    /// (dispatch-serializing), so that "lfence; rdtsc" is ordered: Intel documents it for all its
    /// processors; AMD and Hygon say so in CPUID 0x80000021 EAX bit 2 (on older AMD processors it
    /// depends on an MSR the kernel may set, which a process cannot see: rdtscp is used there).
    /// </summary>
    private static bool LfenceIsDispatchSerializing()
    {
        if (!System.Runtime.Intrinsics.X86.X86Base.IsSupported)
        {
            return false;
        }

        (int _, int ebx, int ecx, int edx) = System.Runtime.Intrinsics.X86.X86Base.CpuId(0, 0);
        Span<byte> vendor = stackalloc byte[12];
        BitConverter.TryWriteBytes(vendor, ebx);
        BitConverter.TryWriteBytes(vendor[4..], edx);
        BitConverter.TryWriteBytes(vendor[8..], ecx);
        if (vendor.SequenceEqual("GenuineIntel"u8))
        {
            return true;
        }

        if (!vendor.SequenceEqual("AuthenticAMD"u8) && !vendor.SequenceEqual("HygonGenuine"u8))
        {
            return false;
        }

        int maxExtended = System.Runtime.Intrinsics.X86.X86Base.CpuId(unchecked((int)0x80000000), 0).Eax;
        return unchecked((uint)maxExtended) >= 0x80000021
            && (System.Runtime.Intrinsics.X86.X86Base.CpuId(unchecked((int)0x80000021), 0).Eax & (1 << 2)) != 0;
    }

    /// <summary>The stub page plus <paramref name="offset"/>, made on first use; 0 without one.</summary>
    private static unsafe nint Stub(int offset)
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return 0;
        }

        lock (s_stubLock)
        {
            if (s_stubs == 0)
            {
                nint page = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (page == -1)
                {
                    return 0;
                }

                var code = new Span<byte>((void*)page, 4096);
                code.Fill(0xCC);
                RdtscCode.CopyTo(code);
                RdtscpCode.CopyTo(code[StubSlot..]);
                FencedRdtscCode.CopyTo(code[(2 * StubSlot)..]);
                RdtscpWithIdCode.CopyTo(code[(3 * StubSlot)..]);
                RdtscpThenLoadCode.CopyTo(code[(4 * StubSlot)..]);
                FencedRdtscThenLoadCode.CopyTo(code[(5 * StubSlot)..]);
                GipEntryReadLfenceCode.CopyTo(code[GipEntryReadLfenceOffset..]);
                GipEntryReadRdtscpCode.CopyTo(code[GipEntryReadRdtscpOffset..]);
                if (mprotect(page, 4096, PROT_READ | PROT_EXEC) != 0)
                {
                    _ = munmap(page, 4096);
                    return 0;
                }

                // CPUID 0x80000001: EDX bit 27 is RDTSCP.
                s_hasRdtscp = System.Runtime.Intrinsics.X86.X86Base.IsSupported
                    && (System.Runtime.Intrinsics.X86.X86Base.CpuId(unchecked((int)0x80000001), 0).Edx & (1 << 27)) != 0;
                s_lfenceSerializes = LfenceIsDispatchSerializing();
                s_stubs = page;
            }

            return s_stubs + offset;
        }
    }
}
