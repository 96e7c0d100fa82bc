using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.ModuleTesting;

/// <summary>
/// Shared pages of a <see cref="TestSession"/> as its client sees them: the allocation's memfd
/// mapped read-write in this process, the same bytes the module's views and leases see. Disposing
/// it unmaps, closes the descriptor and frees the allocation (PageFree), as the client library's
/// <c>SharedMemory</c> does.
/// </summary>
public sealed class TestMemory : IDisposable
{
    private readonly TestSession _session;
    private readonly MappedMemory _mapping;
    private int _disposed;

    internal TestMemory(TestSession session, ulong handle, SafeFd descriptor, long length)
    {
        _session = session;
        Handle = handle;
        Descriptor = descriptor;
        Length = length;
        try
        {
            _mapping = Libc.Map(descriptor, length, Libc.PROT_READ | Libc.PROT_WRITE);
        }
        catch
        {
            descriptor.Dispose();
            throw;
        }
    }

    /// <summary>The allocation's handle in its session, which a module reaches it by.</summary>
    public ulong Handle { get; }

    /// <summary>Bytes allocated.</summary>
    public long Length { get; }

    /// <summary>This side's descriptor of the memfd (send it with a call to hand the pages on).</summary>
    public SafeFd Descriptor { get; }

    /// <summary>The mapping's bytes; valid until <see cref="Dispose"/>.</summary>
    public Span<byte> Span => _mapping.AsSpan();

    /// <summary>
    /// Sets the protection of whole pages as a client does: the daemon records it (PageProtect),
    /// then this mapping changes; modules' views and leases honour the record. Throws
    /// <see cref="InvalidOperationException"/> with the daemon's message when it refuses.
    /// </summary>
    public void Protect(long offset, long length, PageProtection protection)
    {
        Span<byte> input = stackalloc byte[PageProtectRequest.Size];
        new PageProtectRequest(Handle, (ulong)offset, (ulong)length, (uint)protection).Write(input);
        using (TestReply reply = _session.Request(SupFunction.PageProtect, input, 0))
        {
            TestSession.Check(reply, $"protecting {length} bytes at {offset} of allocation 0x{Handle:x16}");
        }

        Errno errno = Libc.Protect(_mapping, offset, length, (int)protection);
        if (errno != Errno.None)
        {
            throw new InvalidOperationException($"mprotect of this process's mapping of allocation 0x{Handle:x16} failed: {errno}");
        }
    }

    /// <summary>Unmaps, closes the descriptor and frees the allocation (if the session still holds it).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _mapping.Dispose();
        Descriptor.Dispose();
        _session.CloseQuietly(SupFunction.PageFree, Handle);
    }
}
