using System.Buffers.Binary;

namespace SupHost.IntNet.Format;

/// <summary>
/// The OpenReply of intnet's Open and NetCreate, 40 bytes, little-endian (docs/intnet.md,
/// "OpenReply"): the interface handle @0 (0 for NetCreate), created @8 (4 bytes, 1 when this call
/// made the network), the buffer's size in bytes @12, its allocation handle @16, the receive
/// doorbell's event handle @24 and the send doorbell's @32. Open's reply carries three
/// descriptors too: the buffer's memfd, the receive doorbell, the send doorbell.
/// </summary>
/// <param name="Handle">The interface handle.</param>
/// <param name="Created">Whether this call created the network.</param>
/// <param name="BufferBytes">The interface buffer's size (cbBuf).</param>
/// <param name="Allocation">The buffer's allocation handle in the session.</param>
/// <param name="ReceiveDoorbell">The receive doorbell's event handle in the session.</param>
/// <param name="SendDoorbell">The send doorbell's event handle in the session.</param>
public readonly record struct IntNetOpenReply(ulong Handle, bool Created, uint BufferBytes, ulong Allocation, ulong ReceiveDoorbell, ulong SendDoorbell)
{
    /// <summary>The reply's size in bytes.</summary>
    public const int Size = 40;

    /// <summary>Reads a reply; null when <paramref name="reply"/> is shorter than <see cref="Size"/>.</summary>
    public static IntNetOpenReply? TryRead(ReadOnlySpan<byte> reply) => reply.Length < Size
        ? null
        : new IntNetOpenReply(
            BinaryPrimitives.ReadUInt64LittleEndian(reply),
            BinaryPrimitives.ReadUInt32LittleEndian(reply[8..]) != 0,
            BinaryPrimitives.ReadUInt32LittleEndian(reply[12..]),
            BinaryPrimitives.ReadUInt64LittleEndian(reply[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(reply[24..]),
            BinaryPrimitives.ReadUInt64LittleEndian(reply[32..]));

    /// <summary>Writes the reply into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException">The destination is shorter than <see cref="Size"/>.</exception>
    public void Write(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"an OpenReply is {Size} bytes; the destination holds {destination.Length}", nameof(destination));
        }

        BinaryPrimitives.WriteUInt64LittleEndian(destination, Handle);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], Created ? 1u : 0u);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], BufferBytes);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], Allocation);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[24..], ReceiveDoorbell);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[32..], SendDoorbell);
    }
}
