using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Driver.Internal.Memory;

/// <summary>
/// One allocation: a sealed memfd and the daemon's read-write mapping of it. The client maps the
/// same file through the descriptor it received, so both see the same bytes; nothing names it in
/// any file system. The daemon never changes its mapping's protection: what the client asked for
/// (PageProtect) is recorded here, one byte a page, and checked by module views and leases.
/// Mutable state is guarded by the memory manager's lock; <see cref="Freed"/>,
/// <see cref="RestrictedPages"/> and <see cref="ProtectionVersion"/> may be read without it.
/// </summary>
internal sealed class MemoryBlock(SafeFd fd, MappedMemory mapping, int pages, uint sessionId, uint userId)
{
    private readonly byte[] _protection = NewProtection(pages);
    private volatile bool _freed;
    private volatile int _restrictedPages;
    private volatile int _protectionVersion;

    public SafeFd Fd { get; } = fd;

    public MappedMemory Mapping { get; } = mapping;

    public int Pages { get; } = pages;

    public uint SessionId { get; } = sessionId;

    public uint UserId { get; } = userId;

    /// <summary>The object's handle, once registered (for messages).</summary>
    public ulong Handle { get; set; }

    public bool Locked { get; set; }

    /// <summary>Module leases now held; the mapping stays until the last is disposed.</summary>
    public int Leases { get; set; }

    /// <summary>The object was destroyed (PageFree or the session's end); its mapping is gone unless leased.</summary>
    public bool Freed
    {
        get => _freed;
        set => _freed = value;
    }

    /// <summary>Pages the client made other than writable: a read-write view of the whole allocation is refused while any is.</summary>
    public int RestrictedPages => _restrictedPages;

    /// <summary>Changes with every PageProtect, so that a lease re-checks its range only when the protection changed.</summary>
    public int ProtectionVersion => _protectionVersion;

    public HashSet<string> Viewers { get; } = new(StringComparer.Ordinal);

    /// <summary>Records the protection the client set on <paramref name="count"/> pages from <paramref name="firstPage"/>.</summary>
    public void SetProtection(int firstPage, int count, PageProtection protection)
    {
        int restricted = _restrictedPages;
        foreach (ref byte page in _protection.AsSpan(firstPage, count))
        {
            restricted += (Writable((PageProtection)page) ? 0 : -1) + (Writable(protection) ? 0 : 1);
            page = (byte)protection;
        }

        _restrictedPages = restricted;
        _protectionVersion++;
    }

    /// <summary>
    /// The first page of the range whose protection does not allow the access, or -1. Writing needs
    /// the write bit; reading needs any bit (PROT_WRITE implies PROT_READ on x86, mmap(2)).
    /// </summary>
    public int FirstDenied(int firstPage, int count, bool write, out PageProtection protection)
    {
        for (int page = firstPage; page < firstPage + count; page++)
        {
            protection = (PageProtection)_protection[page];
            if (write ? !Writable(protection) : protection == PageProtection.None)
            {
                return page;
            }
        }

        protection = PageProtection.ReadWrite;
        return -1;
    }

    /// <summary>Pages whose protection is other than read-write.</summary>
    public int ProtectedPages() => _protection.Count(p => p != (byte)PageProtection.ReadWrite);

    /// <summary>"none", "read", "write" or "read-write", as a message says it.</summary>
    public static string Describe(PageProtection protection) => protection switch
    {
        PageProtection.None => "none",
        PageProtection.Read => "read",
        PageProtection.Write => "write",
        _ => "read-write",
    };

    /// <summary>Unmaps and closes the daemon's side (munlock is implied by munmap, mlock(2)).</summary>
    public void Release()
    {
        Mapping.Dispose();
        Fd.Dispose();
    }

    private static bool Writable(PageProtection protection) => (protection & PageProtection.Write) != PageProtection.None;

    private static byte[] NewProtection(int pages)
    {
        byte[] protection = new byte[pages];
        protection.AsSpan().Fill((byte)PageProtection.ReadWrite);
        return protection;
    }
}
