using System.Runtime.InteropServices;

namespace SupHost.Native;

// unistd.h: close(2), geteuid(2), getegid(2).
public static partial class Libc
{
    [LibraryImport(LibraryName, EntryPoint = "close", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport(LibraryName, EntryPoint = "geteuid")]
    private static partial uint geteuid();

    [LibraryImport(LibraryName, EntryPoint = "getegid")]
    private static partial uint getegid();

    /// <summary>Closes a raw descriptor; only <see cref="SafeFd"/> calls this.</summary>
    internal static int CloseRaw(int fd) => close(fd);

    /// <summary>The effective user id of this process.</summary>
    public static uint EffectiveUserId => geteuid();

    /// <summary>The effective group id of this process.</summary>
    public static uint EffectiveGroupId => getegid();
}
