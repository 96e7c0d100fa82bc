using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Client;

/// <summary>
/// Pages shared with the daemon (SUPR3PageAllocEx): the same bytes the daemon and its modules see,
/// mapped read-write in this process from the descriptor the daemon sent. The allocation belongs
/// to the session: it is freed by <see cref="Dispose"/> or when the session ends.
/// </summary>
public sealed class SharedMemory : IDisposable
{
    private readonly SupClient _client;
    private readonly MappedMemory _mapping;
    private int _disposed;

    internal SharedMemory(SupClient client, ulong handle, SafeFd descriptor, long length)
    {
        _client = client;
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

    /// <summary>The allocation's handle (an object of type memory), for modules to find it by.</summary>
    public ulong Handle { get; }

    /// <summary>Bytes allocated.</summary>
    public long Length { get; }

    /// <summary>The memory's descriptor: pass it (SCM_RIGHTS) to let another process map the same pages.</summary>
    public SafeFd Descriptor { get; }

    /// <summary>This process's mapping.</summary>
    public MappedMemory Mapping => _mapping;

    /// <summary>The mapping as bytes; valid until <see cref="Dispose"/>.</summary>
    public Span<byte> Span => _mapping.AsSpan();

    /// <summary>Locks the pages in RAM (or unlocks them); the daemon's locked-page limit applies.</summary>
    public void Lock(bool locked = true) => _client.HandleFlagsCall(SupFunction.PageLock, Handle, !locked);

    /// <summary>
    /// Changes the protection of whole pages in this process's mapping, after the daemon has
    /// recorded it (the daemon never changes its own mapping; modules' views and leases honour
    /// the record instead, see docs/protocol.md). <paramref name="offset"/> and
    /// <paramref name="length"/> are multiples of 4096 inside the allocation.
    /// </summary>
    public void Protect(long offset, long length, PageProtection protection)
    {
        Span<byte> input = stackalloc byte[PageProtectRequest.Size];
        new PageProtectRequest(Handle, (ulong)offset, (ulong)length, (uint)protection).Write(input);
        _client.Call(SupFunction.PageProtect, input, 0);
        Errno errno = Libc.Protect(_mapping, offset, length, (int)protection);
        if (errno != Errno.None)
        {
            // ENOMEM: this process's own mapping would be split past vm.max_map_count.
            throw new SupException(errno == Errno.ENOMEM ? SupStatus.LimitReached : SupStatus.GeneralFailure, $"mprotect of this process's mapping failed: {errno}");
        }
    }

    /// <summary>Unmaps and frees the allocation (the daemon unmaps and closes its side).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _mapping.Dispose();
        Descriptor.Dispose();
        _client.CloseQuietly(SupFunction.PageFree, Handle);
    }
}
