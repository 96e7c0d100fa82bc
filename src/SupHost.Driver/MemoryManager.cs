using SupHost.Driver.Internal.Memory;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Driver;

/// <summary>
/// Shared pages for clients (SUPR3PageAllocEx, PAGE_LOCK, PAGE_PROTECT, PAGE_FREE). Each
/// allocation is an object of type memory held by the session that made it, so it goes with the
/// session however it ends; its destructor unlocks, unmaps and closes the daemon's side.
/// Per-allocation, per-session, total and locked-page limits apply.
/// </summary>
public sealed class MemoryManager
{
    private readonly DriverOptions _options;
    private readonly ObjectManager _objects;
    private readonly Internal.Quota _descriptors;
    private readonly ObjectType _type;
    private readonly Lock _lock = new();
    private readonly Dictionary<uint, long> _pagesBySession = [];
    private long _pages;
    private long _lockedPages;

    internal MemoryManager(DriverOptions options, ObjectManager objects, Internal.Quota descriptors)
    {
        _options = options;
        _objects = objects;
        _descriptors = descriptors;
        _type = objects.FindType((uint)ObjectTypeId.Memory)!;
    }

    /// <summary>Pages allocated by all sessions.</summary>
    public long Pages => Interlocked.Read(ref _pages);

    /// <summary>Pages locked in RAM.</summary>
    public long LockedPages => Interlocked.Read(ref _lockedPages);

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
                    Modules = x.Block.Viewers.Order(StringComparer.Ordinal).ToList(),
                })
                .OrderBy(m => m.SessionId)
                .ToList();
        }
    }

    internal SupStatus Allocate(Session session, uint pages, bool lockPages, out SupObject? obj, out string? message)
    {
        obj = null;
        if (pages == 0 || pages > _options.MaxPagesPerAllocation)
        {
            message = $"{pages} pages is outside 1..{_options.MaxPagesPerAllocation}";
            return SupStatus.InvalidParameter;
        }

        // Reserve the quota first, so that two sessions cannot both pass the check.
        lock (_lock)
        {
            long held = _pagesBySession.GetValueOrDefault(session.Id);
            if (held + pages > _options.MaxPagesPerSession)
            {
                message = $"the session holds {held} pages; {pages} more would exceed its limit of {_options.MaxPagesPerSession}";
                return SupStatus.LimitReached;
            }

            if (_pages + pages > _options.MaxPagesTotal)
            {
                message = $"{_pages} pages are allocated; {pages} more would exceed the daemon's limit of {_options.MaxPagesTotal}";
                return SupStatus.LimitReached;
            }

            // The memfd is a descriptor the daemon holds for the session.
            if (!_descriptors.TryTake(session.Id, session.UserId, 1, out message))
            {
                message = $"no allocation made: {message}";
                return SupStatus.LimitReached;
            }

            _pagesBySession[session.Id] = held + pages;
            _pages += pages;
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
            if (lockPages && LockBlock(block, out message) != SupStatus.Success)
            {
                block.Dispose();
                Unreserve(session.Id, session.UserId, pages);
                return SupStatus.LimitReached;
            }

            MemoryBlock registered = block;
            SupStatus status = _objects.Register(session, _type, null, 0x180, false, _ => Destroy(registered), block, out obj);
            if (status != SupStatus.Success)
            {
                Destroy(block);
                message = $"registering the allocation failed: {status}";
                return status;
            }

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

            message = $"allocating {pages} pages failed: {ex.Message}";
            return ex.Errno is Errno.ENOMEM or Errno.EMFILE ? SupStatus.LimitReached : SupStatus.GeneralFailure;
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

        if (unlock)
        {
            lock (_lock)
            {
                if (block.Locked)
                {
                    _ = Libc.Lock(block.Mapping, locked: false);
                    block.Locked = false;
                    _lockedPages -= block.Pages;
                }
            }

            message = null;
            return SupStatus.Success;
        }

        return LockBlock(block, out message);
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

        Errno errno = Libc.Protect(block.Mapping, (long)request.Offset, (long)request.Length, (int)request.Protection);
        message = errno == Errno.None ? null : $"mprotect failed: {errno}";
        return errno == Errno.None ? SupStatus.Success : SupStatus.GeneralFailure;
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

    /// <summary>A module's view of an allocation <paramref name="holder"/> holds.</summary>
    internal Memory<byte> View(IObjectHolder holder, ulong handle, string module)
    {
        MemoryBlock block = Held(holder, handle) ?? throw new ArgumentException(NotHeld(handle), nameof(handle));
        lock (_lock)
        {
            block.Viewers.Add(module);
        }

        return new MappedMemoryManager(block.Mapping).Memory;
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

            if (_lockedPages + block.Pages > _options.MaxLockedPages)
            {
                message = $"{_lockedPages} pages are locked; {block.Pages} more would exceed the locked-page limit of {_options.MaxLockedPages}";
                return SupStatus.LimitReached;
            }

            Errno errno = Libc.Lock(block.Mapping, locked: true);
            if (errno != Errno.None)
            {
                message = $"mlock of {block.Pages} pages failed: {errno} (RLIMIT_MEMLOCK)";
                return SupStatus.LimitReached;
            }

            block.Locked = true;
            _lockedPages += block.Pages;
            message = null;
            return SupStatus.Success;
        }
    }

    private void Destroy(MemoryBlock block)
    {
        lock (_lock)
        {
            if (block.Locked)
            {
                _lockedPages -= block.Pages;
            }
        }

        block.Dispose();
        Unreserve(block.SessionId, block.UserId, block.Pages);
    }

    private void Unreserve(uint sessionId, uint uid, long pages)
    {
        _descriptors.Return(sessionId, uid, 1);
        lock (_lock)
        {
            long left = _pagesBySession.GetValueOrDefault(sessionId) - pages;
            if (left <= 0)
            {
                _pagesBySession.Remove(sessionId);
            }
            else
            {
                _pagesBySession[sessionId] = left;
            }

            _pages -= pages;
        }
    }
}
