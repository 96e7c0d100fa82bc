using System.Runtime.InteropServices;

namespace SupHost.Native;

// sched.h: setns(2) into a network namespace named by ip-netns(8) (a bind mount in /run/netns).
// Namespaces are per thread: callers switch a dedicated thread, never a shared one.
public static partial class Libc
{
    private const int CLONE_NEWNET = 0x40000000;

    [LibraryImport(LibraryName, EntryPoint = "setns", SetLastError = true)]
    private static partial int setns(int fd, int nstype);

    /// <summary>Whether <paramref name="name"/> is a namespace name ip-netns(8) makes: 1 to 64 letters, digits, '.', '_' or '-', not "." or "..".</summary>
    public static bool IsValidNetworkNamespaceName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 64 || name is "." or "..")
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Opens the network namespace /run/netns/<paramref name="name"/>; the errno on failure (ENOENT: none of that name).</summary>
    public static Errno TryOpenNetworkNamespace(string name, out SafeFd? ns)
    {
        ns = null;
        if (!IsValidNetworkNamespaceName(name))
        {
            return Errno.EINVAL;
        }

        int raw = open("/run/netns/" + name, O_RDONLY | O_CLOEXEC, 0);
        if (raw < 0)
        {
            return (Errno)Marshal.GetLastPInvokeError();
        }

        ns = new SafeFd(raw);
        return Errno.None;
    }

    /// <summary>The calling thread's own network namespace (/proc/thread-self/ns/net), to come back to.</summary>
    public static SafeFd OpenThreadNetworkNamespace()
    {
        int raw = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC, 0);
        return raw < 0 ? throw NativeException.FromLastError("open", "/proc/thread-self/ns/net") : new SafeFd(raw);
    }

    /// <summary>Moves the calling thread into the network namespace <paramref name="ns"/> (setns CLONE_NEWNET).</summary>
    public static Errno TryEnterNetworkNamespace(SafeFd ns)
    {
        using var lease = new FdLease(ns);
        return setns(lease.Raw, CLONE_NEWNET) == 0 ? Errno.None : (Errno)Marshal.GetLastPInvokeError();
    }
}
