namespace SupHost.Abi;

/// <summary>
/// Shared memory (SUPR0 page allocations) as modules see it. The daemon keeps its own mapping of
/// an allocation read-write whatever the client asks: the protection a client sets with
/// PageProtect applies to the client's mapping, and is honoured here by refusing access the client
/// made impossible, never by a fault.
/// </summary>
public interface IModuleMemory
{
    /// <summary>
    /// The bytes of the allocation <paramref name="handle"/> that <paramref name="holder"/> holds,
    /// shared with the client that mapped it, read-write. Every page must be read-write, as the
    /// client last set it, when the view is taken and each time its span is taken
    /// (<see cref="InvalidOperationException"/> naming the page otherwise); once the allocation is
    /// freed (PageFree, or the session ended) taking the span or pinning throws
    /// <see cref="ObjectDisposedException"/>. A span taken earlier must not be used past the call
    /// that took it: code that keeps memory beyond a call, or touches it from its own threads or
    /// timers, takes a <see cref="Lease"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The holder holds no allocation of that handle.</exception>
    Memory<byte> View(ISessionIdentity holder, ulong handle);

    /// <summary>
    /// Leases <paramref name="length"/> bytes at <paramref name="offset"/> of the allocation
    /// <paramref name="handle"/> that <paramref name="holder"/> holds: until the lease is disposed,
    /// the daemon keeps that memory mapped, even past PageFree or the end of the session (the pages
    /// stay counted against the session's uid until then).
    /// </summary>
    /// <param name="holder">The session that holds the allocation, usually <c>call.Session</c>.</param>
    /// <param name="handle">The allocation's handle.</param>
    /// <param name="offset">Where the leased range starts, in bytes.</param>
    /// <param name="length">The range's length in bytes, at least 1.</param>
    /// <param name="writable">Whether the module will write: the range's pages must then be read-write, else readable.</param>
    /// <param name="lease">The lease, on success; dispose it when done.</param>
    /// <returns>
    /// 0; -2 (InvalidParameter) for a range outside the allocation; -14 (InvalidHandle) when the
    /// holder holds no allocation of that handle; -40 (PageProtected) when the client's protection
    /// of a page in the range does not allow the access.
    /// </returns>
    int Lease(ISessionIdentity holder, ulong handle, long offset, int length, bool writable, out IModuleMemoryLease? lease);

    /// <summary>
    /// Allocates <paramref name="pages"/> pages of shared memory on behalf of <paramref name="session"/>
    /// (Abi 1.1): the allocation is that session's, as if it had made it with PageAlloc (counted
    /// against its quotas, listed by <c>supctl memory</c>, freed by its PageFree or when it ends).
    /// <paramref name="descriptor"/> is a duplicate of the allocation's memfd for the reply
    /// (<see cref="ModuleCall.Reply"/>), counted against the session's descriptors until it is sent
    /// or disposed; the module reaches the bytes with <see cref="View"/> or <see cref="Lease"/>.
    /// </summary>
    /// <param name="session">A client session, usually <c>call.Session</c>.</param>
    /// <param name="pages">The size in pages, 1 to the daemon's per-allocation limit.</param>
    /// <param name="handle">The allocation's handle in <paramref name="session"/>, on success.</param>
    /// <param name="descriptor">The memfd's duplicate, on success; the caller owns it.</param>
    /// <returns>0; -2 (InvalidParameter) for 0 pages; -20 (LimitReached) past a quota; -48 (SessionEnded) when the session has ended.</returns>
    /// <exception cref="ArgumentException"><paramref name="session"/> is not a client session of this daemon.</exception>
    int Allocate(ISessionIdentity session, int pages, out ulong handle, out ModuleDescriptor? descriptor);

    /// <summary>
    /// Frees the allocation <paramref name="handle"/> that <paramref name="session"/> holds, as the
    /// session's own PageFree would (Abi 1.1): for a module giving back what it made for the session
    /// with <see cref="Allocate"/> when the thing it made it for goes (an interface closed, an open
    /// that failed half way). Mappings the client made and leases stay valid until they go.
    /// </summary>
    /// <returns>0; -14 (InvalidHandle) when the session holds no allocation of that handle.</returns>
    /// <exception cref="ArgumentException"><paramref name="session"/> is not a client session of this daemon.</exception>
    int Free(ISessionIdentity session, ulong handle);
}
