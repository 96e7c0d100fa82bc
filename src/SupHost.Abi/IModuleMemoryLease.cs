namespace SupHost.Abi;

/// <summary>
/// A range of a client's allocation that the daemon keeps mapped for a module until
/// <see cref="IDisposable.Dispose"/> (<see cref="IModuleMemory.Lease"/>). Taking a span checks the
/// protection the client set last: a span of pages the client has since made inaccessible (or
/// read-only, for a writable span) is refused with <see cref="InvalidOperationException"/>; after
/// Dispose, <see cref="ObjectDisposedException"/>. The daemon disposes the leases a module still
/// holds when the module is unloaded.
/// </summary>
public interface IModuleMemoryLease : IDisposable
{
    /// <summary>The allocation's handle.</summary>
    ulong Handle { get; }

    /// <summary>Where the range starts in the allocation, in bytes.</summary>
    long Offset { get; }

    /// <summary>The range's length in bytes.</summary>
    int Length { get; }

    /// <summary>Whether the lease was taken for writing.</summary>
    bool IsWritable { get; }

    /// <summary>Whether the allocation was freed (PageFree, or its session ended) while the lease held it.</summary>
    bool IsFreed { get; }

    /// <summary>The range, writable; <see cref="InvalidOperationException"/> when the lease was taken read-only.</summary>
    Memory<byte> Memory { get; }

    /// <summary>The range, for reading.</summary>
    ReadOnlyMemory<byte> ReadOnlyMemory { get; }
}
