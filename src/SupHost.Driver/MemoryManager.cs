using Microsoft.Extensions.Logging;
using SupHost.Driver.Internal;
using SupHost.Driver.Internal.Memory;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Driver;

/// <summary>
/// Shared pages for clients (SUPR3PageAllocEx, PAGE_LOCK, PAGE_PROTECT, PAGE_FREE). Each
/// allocation is an object of type memory held by the session that made it, so it goes with the
/// session however it ends; its destructor unlocks, unmaps and closes the daemon's side (once no
/// module lease holds the mapping any more).
/// </summary>
/// <remarks>
/// Pages, locked pages, allocations (one daemon mapping each) and descriptors are counted per
/// session, per uid and in total (<see cref="Quota"/>), so that no uid can take what others need.
/// The daemon's mapping of an allocation stays one read-write mapping for its whole life: a
/// client's PageProtect is recorded and honoured by module views, never applied with mprotect, so
/// a client can neither split the daemon's address space into vm.max_map_count pieces nor make
/// the daemon fault on a page, and mlock always covers whole accessible pages.
/// </remarks>
public sealed class MemoryManager
{
    private readonly DriverOptions _options;
    private readonly ObjectManager _objects;
    private readonly Quota _descriptors;
    private readonly Quota _pages;
    private readonly Quota _lockedPages;
    private readonly Quota _allocations;
    private readonly ObjectType _type;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();

    internal MemoryManager(DriverOptions options, ObjectManager objects, Quota descriptors, ILogger logger)
    {
        _options = options;
        _objects = objects;
        _descriptors = descriptors;
        _logger = logger;
        _type = objects.FindType((uint)ObjectTypeId.Memory)!;
        _pages = new Quota("pages", options.MaxPagesPerSession, options.MaxPagesPerUid, options.MaxPagesTotal);
        _lockedPages = new Quota("locked pages", options.MaxLockedPagesPerSession, options.MaxLockedPagesPerUid, options.MaxLockedPages);
        _allocations = new Quota("allocations", long.MaxValue, long.MaxValue, NewAllocationBudget(options, logger));
    }

    /// <summary>Pages allocated by all sessions (freed allocations a module still leases included).</summary>
    public long Pages => _pages.Held;

    /// <summary>Pages locked in RAM.</summary>
    public long LockedPages => _lockedPages.Held;

    /// <summary>Allocations held, each one mapping in the daemon.</summary>
    public long Allocations => _allocations.Held;

    /// <summary>The most allocations all sessions together may hold.</summary>
    public long AllocationBudget => _allocations.Total;

    /// <summary>Every allocation, by session.</summary>
    public List<MemoryInfo> Snapshot()
    {
        List<SupObject> allocations = _objects.OfType(_type.Id);
        lock (_lock)
        {
            return allocations
                .Select(o => (o.Handle, Block: (MemoryBlock)o.Payload!))
                .Select(x => new MemoryInfo
                {
                    Handle = $"0x{x.Handle:x16}",
                    SessionId = x.Block.SessionId,
                    Pages = x.Block.Pages,
                    Locked = x.Block.Locked,
                    ProtectedPages = x.Block.ProtectedPages(),
                    Leases = x.Block.Leases,
                    Modules = x.Block.Viewers.Order(StringComparer.Ordinal).ToList(),
                })
                .OrderBy(m => m.SessionId)
                .ToList();
        }
    }

    internal SupStatus Allocate(Session session, uint pages, bool lockPages, out SupObject? obj, out string? message)
    {
        obj = null;

        // Validate the size: 0 is malformed, more than the limit is a limit (docs/protocol.md).
        if (pages == 0)
        {
            message = "an allocation needs at least 1 page";
            return SupStatus.InvalidParameter;
        }

        if (pages > _options.MaxPagesPerAllocation)
        {
            message = $"{pages} pages exceed the per-allocation limit of {_options.MaxPagesPerAllocation}";
            return SupStatus.LimitReached;
        }

        // Reserve pages, a mapping and a descriptor first, all or nothing, so that two sessions
        // cannot both pass a check only one may pass.
        if (!Reserve(session.Id, session.UserId, pages, out message))
        {
            return SupStatus.LimitReached;
        }

        MemoryBlock? block = null;
        try
        {
            long length = (long)pages * ProtocolConstants.PageSize;
            SafeFd fd = Libc.CreateSharedMemory($"suphost-{session.Id}", length);
            MappedMemory mapping;
            try
            {
                mapping = Libc.Map(fd, length, Libc.PROT_READ | Libc.PROT_WRITE);
            }
            catch
            {
                fd.Dispose();
                throw;
            }

            block = new MemoryBlock(fd, mapping, (int)pages, session.Id, session.UserId);
            if (lockPages)
            {
                SupStatus locked = LockBlock(block, out message);
                if (locked != SupStatus.Success)
                {
                    block.Release();
                    Unreserve(session.Id, session.UserId, pages);
                    return locked;
                }
            }

            MemoryBlock registered = block;
            SupStatus status = _objects.Register(session, _type, null, 0x180, false, _ => Destroy(registered), block, out obj);
            if (status != SupStatus.Success)
            {
                Destroy(block);
                message = $"registering the allocation failed: {status}";
                return status;
            }

            block.Handle = obj!.Handle;
            message = null;
            return SupStatus.Success;
        }
        catch (NativeException ex)
        {
            if (block is null)
            {
                Unreserve(session.Id, session.UserId, pages);
            }
            else
            {
                Destroy(block);
            }

            // Out of memory, address space or descriptors is the daemon's limit, not a crash.
            return ErrnoStatus.StatusOf(ex, $"allocating {pages} pages", out message);
        }
    }

    internal SupStatus Lock(Session session, ulong handle, bool unlock, out string? message)
    {
        MemoryBlock? block = Held(session, handle);
        if (block is null)
        {
            message = NotHeld(handle);
            return SupStatus.InvalidHandle;
        }

        return unlock ? UnlockBlock(block, out message) : LockBlock(block, out message);
    }

    internal SupStatus Protect(Session session, PageProtectRequest request, out string? message)
    {
        MemoryBlock? block = Held(session, request.Handle);
        if (block is null)
        {
            message = NotHeld(request.Handle);
            return SupStatus.InvalidHandle;
        }

        ulong size = (ulong)block.Mapping.Length;
        message = (request.Offset % ProtocolConstants.PageSize, request.Length % ProtocolConstants.PageSize) switch
        {
            (not 0, _) => $"offset {request.Offset} is not a multiple of the page size {ProtocolConstants.PageSize}",
            (_, not 0) => $"length {request.Length} is not a multiple of the page size {ProtocolConstants.PageSize}",
            _ when request.Length == 0 => "length is 0",
            _ when request.Offset >= size || request.Length > size - request.Offset => $"range {request.Offset}+{request.Length} is outside the allocation of {size} bytes",
            _ when (request.Protection & ~(uint)PageProtection.ReadWrite) != 0 => $"protection 0x{request.Protection:x} may only use read (1) and write (2)",
            _ => null,
        };
        if (message is not null)
        {
            return SupStatus.InvalidParameter;
        }

        // Record it; the client's library applies it to the client's mapping. The daemon's own
        // mapping is never mprotected (see the remarks): module views honour the record instead.
        lock (_lock)
        {
            block.SetProtection((int)(request.Offset / ProtocolConstants.PageSize), (int)(request.Length / ProtocolConstants.PageSize), (PageProtection)request.Protection);
        }

        return SupStatus.Success;
    }

    internal SupStatus Free(Session session, ulong handle, out string? message)
    {
        if (Held(session, handle) is null)
        {
            message = NotHeld(handle);
            return SupStatus.InvalidHandle;
        }

        // Drop every reference the session holds: the allocation is gone for it.
        message = null;
        return _objects.ReleaseEvery(session, handle);
    }

    /// <summary>A module's Abi 1.0 view of an allocation <paramref name="holder"/> holds: checked at each span, see <see cref="ModuleView"/>.</summary>
    internal Memory<byte> View(IObjectHolder holder, ulong handle, string module)
    {
        MemoryBlock block = Held(holder, handle) ?? throw new ArgumentException(NotHeld(handle), nameof(handle));
        lock (_lock)
        {
            block.Viewers.Add(module);
        }

        CheckView(block);
        return new ModuleView(this, block).View;
    }

    /// <summary>A module's lease of a range of an allocation <paramref name="holder"/> holds.</summary>
    internal SupStatus Lease(IObjectHolder holder, ulong handle, long offset, int length, bool writable, string module, Action<MemoryLease>? disposed, out MemoryLease? lease, out string? message)
    {
        lease = null;
        MemoryBlock? block = Held(holder, handle);
        if (block is null)
        {
            message = NotHeld(handle);
            return SupStatus.InvalidHandle;
        }

        long size = block.Mapping.Length;
        if (offset < 0 || length < 1 || offset >= size || length > size - offset)
        {
            message = $"range {offset}+{length} is outside the allocation of {size} bytes";
            return SupStatus.InvalidParameter;
        }

        lock (_lock)
        {
            // The destructor may have run since Held resolved the handle.
            if (block.Freed)
            {
                message = NotHeld(handle);
                return SupStatus.InvalidHandle;
            }

            message = Denied(block, offset, length, writable);
            if (message is not null)
            {
                return SupStatus.PageProtected;
            }

            block.Viewers.Add(module);
            block.Leases++;
            lease = new MemoryLease(this, block, offset, length, writable, disposed);
            return SupStatus.Success;
        }
    }

    /// <summary>Throws unless a read-write view of the whole of <paramref name="block"/> may be used now.</summary>
    internal void CheckView(MemoryBlock block)
    {
        if (block.Freed)
        {
            throw new ObjectDisposedException($"allocation 0x{block.Handle:x16}", $"allocation 0x{block.Handle:x16} was freed (PageFree, or its session ended); a view taken before must not be used after it: take a lease to keep the memory");
        }

        if (block.RestrictedPages != 0)
        {
            string? denied;
            lock (_lock)
            {
                denied = Denied(block, 0, block.Mapping.Length, write: true);
            }

            if (denied is not null)
            {
                throw new InvalidOperationException($"{denied}; a view (read-write, of the whole allocation) needs every page read-write");
            }
        }
    }

    /// <summary>Throws unless the lease's range still allows its access, as the client protected it last.</summary>
    internal void CheckLease(MemoryLease lease)
    {
        string? denied;
        lock (_lock)
        {
            denied = Denied(lease.Block, lease.Offset, lease.Length, lease.IsWritable);
        }

        if (denied is not null)
        {
            throw new InvalidOperationException(denied);
        }
    }

    /// <summary>Ends a lease; the last one of a freed allocation unmaps it.</summary>
    internal void EndLease(MemoryLease lease)
    {
        MemoryBlock block = lease.Block;
        bool release;
        lock (_lock)
        {
            block.Leases--;
            release = block.Freed && block.Leases == 0;
        }

        if (release)
        {
            ReleaseMapping(block);
        }
    }

    private static string? Denied(MemoryBlock block, long offset, long length, bool write)
    {
        int first = (int)(offset / ProtocolConstants.PageSize);
        int last = (int)((offset + length - 1) / ProtocolConstants.PageSize);
        int page = block.FirstDenied(first, last - first + 1, write, out PageProtection protection);
        return page < 0
            ? null
            : $"page {page} of allocation 0x{block.Handle:x16} is protected {MemoryBlock.Describe(protection)} by its client, which does not allow {(write ? "writing" : "reading")}";
    }

    private MemoryBlock? Held(IObjectHolder holder, ulong handle) =>
        _objects.Resolve(holder, handle)?.Payload as MemoryBlock;

    private static string NotHeld(ulong handle) => $"handle 0x{handle:x16} is not an allocation this session holds";

    private SupStatus LockBlock(MemoryBlock block, out string? message)
    {
        lock (_lock)
        {
            if (block.Locked)
            {
                message = null;
                return SupStatus.Success;
            }

            // Count first, lock second, and give the count back if the lock fails: what is
            // counted and what is locked agree at every step.
            if (!_lockedPages.TryTake(block.SessionId, block.UserId, block.Pages, out message))
            {
                return SupStatus.LimitReached;
            }

            // The mapping is read-write whatever the client set, so mlock faults in every page;
            // Libc.Lock undoes a partial lock before it reports the error.
            Errno errno = Libc.Lock(block.Mapping, locked: true);
            if (errno != Errno.None)
            {
                _lockedPages.Return(block.SessionId, block.UserId, block.Pages);
                if (_logger.IsEnabled(LogLevel.Warning))
                {
                    MemoryLog.LockFailed(_logger, block.SessionId, block.Pages, $"0x{block.Handle:x16}", errno.ToString());
                }

                message = $"mlock of {block.Pages} pages failed: {LockFailure(errno)}; none of them stays locked";
                return ErrnoStatus.StatusOf(errno);
            }

            block.Locked = true;
            message = null;
            return SupStatus.Success;
        }
    }

    private SupStatus UnlockBlock(MemoryBlock block, out string? message)
    {
        lock (_lock)
        {
            if (!block.Locked)
            {
                message = null;
                return SupStatus.Success;
            }

            // munlock(2) of a range this process mapped does not fail; if it did, the pages
            // might still be locked, so they stay counted.
            Errno errno = Libc.Lock(block.Mapping, locked: false);
            if (errno != Errno.None)
            {
                message = $"munlock of {block.Pages} pages failed: {errno}; they stay counted as locked";
                return SupStatus.GeneralFailure;
            }

            block.Locked = false;
            _lockedPages.Return(block.SessionId, block.UserId, block.Pages);
            message = null;
            return SupStatus.Success;
        }
    }

    /// <summary>Why mlock(2) failed, in words: ENOMEM is RLIMIT_MEMLOCK only for a process without CAP_IPC_LOCK.</summary>
    private static string LockFailure(Errno errno) => errno switch
    {
        Errno.ENOMEM => $"ENOMEM (the daemon's RLIMIT_MEMLOCK is {Libc.MemoryLockLimit()} bytes without CAP_IPC_LOCK, or the system is out of memory)",
        Errno.EAGAIN => "EAGAIN (some of the pages could not be locked)",
        Errno.EPERM => "EPERM (the daemon may not lock memory: no CAP_IPC_LOCK and an RLIMIT_MEMLOCK of 0)",
        _ => errno.ToString(),
    };

    /// <summary>The object's destructor (PageFree, the session's end): unlock and close now; unmap once no lease holds the mapping.</summary>
    private void Destroy(MemoryBlock block)
    {
        int leases;
        lock (_lock)
        {
            block.Freed = true;
            if (block.Locked)
            {
                _ = Libc.Lock(block.Mapping, locked: false);
                block.Locked = false;
                _lockedPages.Return(block.SessionId, block.UserId, block.Pages);
            }

            leases = block.Leases;
        }

        // The descriptor goes at once (a mapping keeps the file alive by itself, mmap(2)).
        block.Fd.Dispose();
        _descriptors.Return(block.SessionId, block.UserId, 1);
        if (leases == 0)
        {
            ReleaseMapping(block);
            return;
        }

        MemoryLog.FreedWhileLeased(_logger, block.SessionId, block.Handle, leases);
    }

    private void ReleaseMapping(MemoryBlock block)
    {
        block.Release();
        _allocations.Return(block.SessionId, block.UserId, 1);
        _pages.Return(block.SessionId, block.UserId, block.Pages);
    }

    private bool Reserve(uint sessionId, uint uid, long pages, out string? message)
    {
        if (!_pages.TryTake(sessionId, uid, pages, out message))
        {
            return false;
        }

        if (!_allocations.TryTake(sessionId, uid, 1, out message))
        {
            _pages.Return(sessionId, uid, pages);
            return false;
        }

        // The memfd is a descriptor the daemon holds for the session.
        if (!_descriptors.TryTake(sessionId, uid, 1, out message))
        {
            _allocations.Return(sessionId, uid, 1);
            _pages.Return(sessionId, uid, pages);
            message = $"no allocation made: {message}";
            return false;
        }

        return true;
    }

    private void Unreserve(uint sessionId, uint uid, long pages)
    {
        _descriptors.Return(sessionId, uid, 1);
        _allocations.Return(sessionId, uid, 1);
        _pages.Return(sessionId, uid, pages);
    }

    /// <summary>
    /// How many allocations sessions may hold together: each is one mapping in the daemon, and
    /// the kernel refuses mmap past vm.max_map_count (mm/mmap.c: do_mmap), so the budget is what
    /// that leaves once the mappings the daemon has now and a reserve for its own growth (thread
    /// stacks, the managed heap, modules) are set aside, and at most MaxAllocationsTotal.
    /// </summary>
    private static long NewAllocationBudget(DriverOptions options, ILogger logger)
    {
        long maxMapCount = 65530; // DEFAULT_MAX_MAP_COUNT, include/linux/mm.h
        try
        {
            maxMapCount = long.Parse(File.ReadAllText("/proc/sys/vm/max_map_count").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            // Keep the kernel's default: the budget is then smaller than it could be, never larger.
        }

        long mapped = File.ReadLines("/proc/self/maps").LongCount();
        long left = Math.Max(0, maxMapCount - mapped - options.MappingReserve);
        long budget = Math.Min(options.MaxAllocationsTotal, left);
        if (budget < options.MaxAllocationsTotal)
        {
            MemoryLog.AllocationBudgetReduced(logger, budget, options.MaxAllocationsTotal, maxMapCount, mapped, options.MappingReserve);
        }
        else
        {
            MemoryLog.AllocationBudget(logger, budget, options.MaxAllocationsTotal, maxMapCount, mapped, options.MappingReserve);
        }

        return budget;
    }
}
