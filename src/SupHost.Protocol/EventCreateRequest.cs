using System.Buffers.Binary;

namespace SupHost.Protocol;

/// <summary>Event creation (8 bytes): kind @0 (<see cref="EventKind"/>), reserved @4 (0).</summary>
/// <param name="Kind">Auto-reset or multi.</param>
/// <param name="Reserved">Must be 0.</param>
public readonly record struct EventCreateRequest(EventKind Kind, uint Reserved = 0)
{
    /// <summary>Payload size.</summary>
    public const int Size = 8;

    /// <summary>Writes the payload.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)Kind);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Reserved);
    }

    /// <summary>Reads the payload.</summary>
    public static EventCreateRequest Read(ReadOnlySpan<byte> source) => new(
        (EventKind)BinaryPrimitives.ReadUInt32LittleEndian(source),
        BinaryPrimitives.ReadUInt32LittleEndian(source[4..]));
}
