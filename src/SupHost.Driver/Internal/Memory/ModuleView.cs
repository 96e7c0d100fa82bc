using System.Buffers;

namespace SupHost.Driver.Internal.Memory;

/// <summary>
/// The <see cref="Memory{T}"/> of an Abi 1.0 view (IModuleMemory.View): the whole allocation,
/// read-write. It takes no reference, so every span and pin checks first that the allocation is
/// still there and that the client left every page writable; a module that kept the view past
/// PageFree gets <see cref="ObjectDisposedException"/> instead of a write into unmapped memory.
/// </summary>
internal sealed unsafe class ModuleView(MemoryManager owner, MemoryBlock block) : MemoryManager<byte>
{
    /// <summary>The view, as the module gets it (checked once more at each span).</summary>
    public Memory<byte> View => CreateMemory((int)block.Mapping.Length);

    public override Span<byte> GetSpan()
    {
        owner.CheckView(block);
        return block.Mapping.AsSpan();
    }

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, block.Mapping.Length);
        owner.CheckView(block);

        // The reference keeps the mapping until Unpin even if the allocation is freed meanwhile
        // (SafeHandle defers munmap to the last DangerousRelease).
        bool added = false;
        block.Mapping.DangerousAddRef(ref added);
        return new MemoryHandle((byte*)block.Mapping.DangerousGetHandle() + elementIndex, default, this);
    }

    public override void Unpin() => block.Mapping.DangerousRelease();

    protected override void Dispose(bool disposing)
    {
    }
}
