using System.Runtime.InteropServices;

namespace SupHost.Native;

/// <summary>An owned file descriptor, closed exactly once when released.</summary>
public sealed class SafeFd : SafeHandle
{
    /// <summary>Creates an invalid handle (for marshalling).</summary>
    public SafeFd()
        : base(new IntPtr(-1), ownsHandle: true)
    {
    }

    /// <summary>Takes ownership of <paramref name="fd"/>.</summary>
    public SafeFd(int fd, bool ownsHandle = true)
        : base(new IntPtr(-1), ownsHandle)
    {
        SetHandle(new IntPtr(fd));
    }

    /// <inheritdoc />
    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The descriptor number, for logs and <c>/proc</c> look-ups; never use it to call into libc directly.</summary>
    public int Number => (int)handle.ToInt64();

    /// <inheritdoc />
    protected override bool ReleaseHandle() => Libc.CloseRaw((int)handle.ToInt64()) == 0;
}
