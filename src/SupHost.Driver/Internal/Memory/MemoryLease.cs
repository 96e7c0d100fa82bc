using System.Buffers;
using SupHost.Abi;

namespace SupHost.Driver.Internal.Memory;

/// <summary>
/// A module's lease of a range of an allocation (IModuleMemory.Lease): the allocation's mapping
/// stays until <see cref="Dispose"/>, even once the allocation is freed. Each span re-checks the
/// client's protection of the range when it changed since the last check.
/// </summary>
internal sealed unsafe class MemoryLease : MemoryManager<byte>, IModuleMemoryLease
{
    private readonly MemoryManager _owner;
    private readonly Action<MemoryLease>? _disposed;
    private int _released;
    private int _checkedVersion;

    public MemoryLease(MemoryManager owner, MemoryBlock block, long offset, int length, bool writable, Action<MemoryLease>? disposed)
    {
        _owner = owner;
        _disposed = disposed;
        Block = block;
        Offset = offset;
        Length = length;
        IsWritable = writable;
        _checkedVersion = block.ProtectionVersion;
    }

    public MemoryBlock Block { get; }

    public ulong Handle => Block.Handle;

    public long Offset { get; }

    public int Length { get; }

    public bool IsWritable { get; }

    public bool IsFreed => Block.Freed;

    Memory<byte> IModuleMemoryLease.Memory => IsWritable
        ? CreateMemory(Length)
        : throw new InvalidOperationException($"the lease of allocation 0x{Handle:x16} was taken read-only; use ReadOnlyMemory, or lease it writable");

    public ReadOnlyMemory<byte> ReadOnlyMemory => CreateMemory(Length);

    public override Span<byte> GetSpan()
    {
        Check();
        return Block.Mapping.AsSpan().Slice((int)Offset, Length);
    }

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, Length);
        Check();
        bool added = false;
        Block.Mapping.DangerousAddRef(ref added);
        return new MemoryHandle((byte*)Block.Mapping.DangerousGetHandle() + Offset + elementIndex, default, this);
    }

    public override void Unpin() => Block.Mapping.DangerousRelease();

    /// <summary>Ends the lease (IDisposable.Dispose of the base class lands here), once.</summary>
    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        _owner.EndLease(this);
        _disposed?.Invoke(this);
    }

    private void Check()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _released) != 0, this);
        int version = Block.ProtectionVersion;
        if (version != Volatile.Read(ref _checkedVersion))
        {
            _owner.CheckLease(this);
            Volatile.Write(ref _checkedVersion, version);
        }
    }
}
