using System.Runtime.CompilerServices;
using SupHost.IntNet.Format;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Client;

/// <summary>
/// This process's mapping of an interface (or capture) buffer the switch sent: mapped read-write
/// shared, its header validated once (the geometry kept privately from then on), and the doorbell
/// words beyond the rings' header (docs/intnet.md, "The buffer header's doorbell words").
/// </summary>
internal sealed unsafe class IntNetMapping : IDisposable
{
    private readonly MappedMemory _memory;

    private IntNetMapping(MappedMemory memory, BufferLayout layout)
    {
        _memory = memory;
        Layout = layout;
        Base = (byte*)memory.DangerousGetHandle();
    }

    /// <summary>The geometry read once when the buffer was mapped.</summary>
    public BufferLayout Layout { get; }

    /// <summary>The mapping's first byte; valid while a reference is held (<see cref="Enter"/>) or until <see cref="Dispose"/>.</summary>
    public byte* Base { get; }

    /// <summary>Bytes mapped (the buffer rounded up to whole pages).</summary>
    public int Length => (int)_memory.Length;

    /// <summary>Maps <paramref name="bufferBytes"/> of <paramref name="descriptor"/> and validates the header; the descriptor may be closed afterwards.</summary>
    /// <exception cref="SupException"><see cref="SupStatus.ProtocolError"/>: the size or the header is not what the switch promised.</exception>
    public static IntNetMapping Map(SafeFd descriptor, uint bufferBytes)
    {
        if (bufferBytes is < IntNetBuffer.HeaderSize or > int.MaxValue - ProtocolConstants.PageSize)
        {
            throw new SupException(SupStatus.ProtocolError, $"the switch named a buffer of {bufferBytes} bytes");
        }

        long length = (bufferBytes + (long)ProtocolConstants.PageSize - 1) / ProtocolConstants.PageSize * ProtocolConstants.PageSize;
        MappedMemory memory;
        try
        {
            memory = Libc.Map(descriptor, length, Libc.PROT_READ | Libc.PROT_WRITE);
        }
        catch (NativeException ex)
        {
            throw new SupException(SupStatus.ProtocolError, $"cannot map the {bufferBytes}-byte buffer the switch sent: {ex.Message}", ex);
        }

        try
        {
            if (!IntNetBuffer.TryValidateHeader(memory.AsSpan(), out BufferLayout layout, out string? problem))
            {
                throw new SupException(SupStatus.ProtocolError, $"the switch's buffer is not a valid interface buffer: {problem}");
            }

            if (layout.Size != bufferBytes)
            {
                throw new SupException(SupStatus.ProtocolError, $"the switch named {bufferBytes} buffer bytes, its header says {layout.Size}");
            }

            return new IntNetMapping(memory, layout);
        }
        catch
        {
            memory.Dispose();
            throw;
        }
    }

    /// <summary>Takes a reference that keeps the mapping until <see cref="Leave"/>, or throws <see cref="ObjectDisposedException"/> once it was disposed.</summary>
    public void Enter(object owner)
    {
        bool added = false;
        try
        {
            _memory.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException ex)
        {
            throw new ObjectDisposedException($"the {owner.GetType().Name} was closed", ex);
        }
    }

    /// <summary>Drops the reference <see cref="Enter"/> took; the last one after <see cref="Dispose"/> unmaps.</summary>
    public void Leave() => _memory.DangerousRelease();

    /// <summary>Reads a u32 at <paramref name="offset"/> of the header once, with acquire semantics.</summary>
    public uint ReadWord(int offset) => Volatile.Read(ref Unsafe.AsRef<uint>(Base + offset));

    /// <summary>Writes a u32 at <paramref name="offset"/> of the header with release semantics.</summary>
    public void WriteWord(int offset, uint value) => Volatile.Write(ref Unsafe.AsRef<uint>(Base + offset), value);

    /// <summary>The buffer's counters (offsets 112 to 143), as the switch published them.</summary>
    public BufferStatistics Statistics => IntNetBuffer.ReadStatistics(new ReadOnlySpan<byte>(Base, IntNetBuffer.HeaderSize));

    /// <summary>Unmaps once no operation holds a reference.</summary>
    public void Dispose() => _memory.Dispose();
}
