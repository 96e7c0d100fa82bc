using System.Buffers;
using SupHost.Native;

namespace SupHost.Driver.Internal.Memory;

/// <summary>A <see cref="Memory{T}"/> over a daemon mapping, for modules (IModuleMemory.View).</summary>
internal sealed unsafe class MappedMemoryManager(MappedMemory mapping) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => mapping.AsSpan();

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        bool added = false;
        mapping.DangerousAddRef(ref added);
        return new MemoryHandle((byte*)mapping.DangerousGetHandle() + elementIndex, default, this);
    }

    public override void Unpin() => mapping.DangerousRelease();

    protected override void Dispose(bool disposing)
    {
    }
}
