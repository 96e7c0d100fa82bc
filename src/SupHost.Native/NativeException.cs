using System.Runtime.InteropServices;

namespace SupHost.Native;

/// <summary>A failed native call: names the call, the errno and the C library's text for it.</summary>
public sealed class NativeException : IOException
{
    /// <summary>Creates the exception for <paramref name="call"/> failing with <paramref name="errno"/>.</summary>
    public NativeException(string call, Errno errno)
        : base($"{call}: {Marshal.GetPInvokeErrorMessage((int)errno)} ({errno})")
    {
        Call = call;
        Errno = errno;
    }

    /// <summary>Creates the exception with an extra detail (a path, a name) after the call.</summary>
    public NativeException(string call, Errno errno, string detail)
        : base($"{call}({detail}): {Marshal.GetPInvokeErrorMessage((int)errno)} ({errno})")
    {
        Call = call;
        Errno = errno;
    }

    /// <summary>The native function that failed.</summary>
    public string Call { get; }

    /// <summary>The errno it left.</summary>
    public Errno Errno { get; }

    internal static NativeException FromLastError(string call) => new(call, (Errno)Marshal.GetLastPInvokeError());

    internal static NativeException FromLastError(string call, string detail) => new(call, (Errno)Marshal.GetLastPInvokeError(), detail);
}
