using System.Runtime.InteropServices;

namespace SupHost.IntNet.Format.Tests;

/// <summary>
/// Native memory for an interface buffer with a guard region on each side, filled with a pattern
/// nobody writes: a ring that writes outside its buffer changes a guard byte.
/// </summary>
internal sealed unsafe class GuardedBuffer : IDisposable
{
    public const int GuardSize = 4096;
    private const byte GuardByte = 0xA5;
    private readonly byte* _block;

    public GuardedBuffer(int length)
    {
        Length = length;
        _block = (byte*)NativeMemory.AlignedAlloc((nuint)(length + (2 * GuardSize)), 4096);
        new Span<byte>(_block, length + (2 * GuardSize)).Fill(GuardByte);
        Pointer = _block + GuardSize;
    }

    public byte* Pointer { get; }

    public int Length { get; }

    public Span<byte> Span => new(Pointer, Length);

    /// <summary>Where a span handed out by a ring lies, as an offset from the buffer's start.</summary>
    public long OffsetOf(ReadOnlySpan<byte> span)
    {
        fixed (byte* p = span)
        {
            return p - Pointer;
        }
    }

    public void AssertGuardsIntact()
    {
        int before = new ReadOnlySpan<byte>(_block, GuardSize).IndexOfAnyExcept(GuardByte);
        int after = new ReadOnlySpan<byte>(Pointer + Length, GuardSize).IndexOfAnyExcept(GuardByte);
        Assert.True(before < 0, $"the guard before the buffer was written at {before - GuardSize}");
        Assert.True(after < 0, $"the guard after the buffer was written at {Length + after}");
    }

    public void Dispose() => NativeMemory.AlignedFree(_block);
}
