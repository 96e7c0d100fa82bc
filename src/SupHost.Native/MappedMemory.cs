using System.Runtime.InteropServices;

namespace SupHost.Native;

/// <summary>A shared mapping (mmap(2)), unmapped exactly once when released.</summary>
public sealed class MappedMemory : SafeBuffer
{
    internal MappedMemory(nint address, long length)
        : base(ownsHandle: true)
    {
        SetHandle(address);
        Length = length;
        Initialize((ulong)length);
    }

    /// <summary>Bytes mapped.</summary>
    public long Length { get; }

    /// <summary>
    /// The mapping as a span, valid while the caller holds it (and no longer: do not keep the span
    /// past <see cref="SafeHandle.Dispose()"/>).
    /// </summary>
    public unsafe Span<byte> AsSpan() => new((void*)handle, checked((int)Length));

    /// <inheritdoc />
    protected override bool ReleaseHandle() => Libc.Unmap(handle, Length) == 0;
}
