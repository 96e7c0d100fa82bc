using System.Runtime.InteropServices;

namespace SupHost.Native;

// signal.h: kill(2), for sending SIGTERM (Process.Kill only sends SIGKILL).
public static partial class Libc
{
    /// <summary>SIGKILL.</summary>
    public const int SIGKILL = 9;

    /// <summary>SIGTERM.</summary>
    public const int SIGTERM = 15;

    /// <summary>SIGCONT (x86-64 and arm64 Linux).</summary>
    public const int SIGCONT = 18;

    /// <summary>SIGSTOP (x86-64 and arm64 Linux).</summary>
    public const int SIGSTOP = 19;

    [LibraryImport(LibraryName, EntryPoint = "kill", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    /// <summary>Sends <paramref name="signal"/> to process <paramref name="pid"/>.</summary>
    public static void Kill(int pid, int signal)
    {
        if (kill(pid, signal) != 0)
        {
            throw NativeException.FromLastError("kill", pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
