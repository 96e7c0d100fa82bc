using SupHost.Native;

namespace SupHost.Driver.Internal.Memory;

/// <summary>
/// One allocation: a sealed memfd and the daemon's read-write mapping of it. The client maps the
/// same file through the descriptor it received, so both see the same bytes; nothing names it in
/// any file system. Mutable state is guarded by the memory manager's lock.
/// </summary>
internal sealed class MemoryBlock(SafeFd fd, MappedMemory mapping, int pages, uint sessionId, uint userId) : IDisposable
{
    public SafeFd Fd { get; } = fd;

    public MappedMemory Mapping { get; } = mapping;

    public int Pages { get; } = pages;

    public uint SessionId { get; } = sessionId;

    public uint UserId { get; } = userId;

    public bool Locked { get; set; }

    public HashSet<string> Viewers { get; } = new(StringComparer.Ordinal);

    public void Dispose()
    {
        if (Locked)
        {
            _ = Libc.Lock(Mapping, locked: false);
        }

        Mapping.Dispose();
        Fd.Dispose();
    }
}
