using System.Runtime.InteropServices;

namespace SupHost.Native;

/// <summary>A Linux AIO context (aio_context_t), destroyed with io_destroy(2) exactly once when released.</summary>
public sealed class AioContext : SafeHandle
{
    /// <summary>Creates an invalid handle.</summary>
    public AioContext()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    internal AioContext(ulong context)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle((nint)context);
    }

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <inheritdoc />
    protected override bool ReleaseHandle() => Libc.DestroyAio((ulong)handle) == 0;
}
