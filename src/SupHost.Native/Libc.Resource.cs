using System.Runtime.InteropServices;

namespace SupHost.Native;

// sys/resource.h: getrlimit(2), setrlimit(2), for the descriptor limit the daemon budgets under
// and the locked-memory limit it names when mlock(2) fails; setpriority(2), for the GIP updater.
public static partial class Libc
{
    private const int RLIMIT_NOFILE = 7;
    private const int RLIMIT_MEMLOCK = 8;

    [StructLayout(LayoutKind.Sequential)]
    internal struct rlimit
    {
        public ulong rlim_cur;
        public ulong rlim_max;
    }

    private const int PRIO_PROCESS = 0;

    [LibraryImport(LibraryName, EntryPoint = "setpriority", SetLastError = true)]
    private static partial int setpriority(int which, uint who, int prio);

    [LibraryImport(LibraryName, EntryPoint = "getrlimit", SetLastError = true)]
    private static unsafe partial int getrlimit(int resource, rlimit* limit);

    [LibraryImport(LibraryName, EntryPoint = "setrlimit", SetLastError = true)]
    private static unsafe partial int setrlimit(int resource, rlimit* limit);

    /// <summary>
    /// Sets the calling thread's nice value (-20 to 19): on Linux PRIO_PROCESS with id 0 names the
    /// calling thread, not the process (setpriority(2), BUGS). Lowering it needs CAP_SYS_NICE.
    /// </summary>
    public static Errno SetThreadNice(int nice) =>
        setpriority(PRIO_PROCESS, 0, nice) == 0 ? Errno.None : (Errno)Marshal.GetLastPInvokeError();

    /// <summary>
    /// Raises the soft RLIMIT_NOFILE to the hard one (allowed without privilege) and returns the
    /// soft limit in force afterwards: the number of descriptors this process may hold.
    /// </summary>
    public static unsafe long RaiseDescriptorLimit()
    {
        rlimit limit;
        if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        {
            throw NativeException.FromLastError("getrlimit(RLIMIT_NOFILE)");
        }

        if (limit.rlim_cur < limit.rlim_max)
        {
            var raised = new rlimit { rlim_cur = limit.rlim_max, rlim_max = limit.rlim_max };
            if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            {
                limit = raised;
            }
        }

        // RLIM_INFINITY is all ones; no descriptor table is that large.
        return (long)Math.Min(limit.rlim_cur, int.MaxValue);
    }

    /// <summary>
    /// The soft RLIMIT_MEMLOCK in bytes (<see cref="long.MaxValue"/> for RLIM_INFINITY). A process
    /// with CAP_IPC_LOCK is not bound by it (mlock(2)).
    /// </summary>
    public static unsafe long MemoryLockLimit()
    {
        rlimit limit;
        if (getrlimit(RLIMIT_MEMLOCK, &limit) != 0)
        {
            throw NativeException.FromLastError("getrlimit(RLIMIT_MEMLOCK)");
        }

        return (long)Math.Min(limit.rlim_cur, long.MaxValue);
    }
}
