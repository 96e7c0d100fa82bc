using System.Runtime.InteropServices;

namespace SupHost.Native;

// sys/stat.h and unistd.h file ownership: chown(2). Modes go through File.SetUnixFileMode.
public static partial class Libc
{
    [LibraryImport(LibraryName, EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int chown(string path, uint owner, uint group);

    /// <summary>Changes the owner and group of <paramref name="path"/>; <c>uint.MaxValue</c> leaves one unchanged.</summary>
    public static void ChangeOwner(string path, uint uid, uint gid)
    {
        if (chown(path, uid, gid) != 0)
        {
            throw NativeException.FromLastError("chown", path);
        }
    }
}
