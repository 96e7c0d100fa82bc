using System.Buffers.Binary;

namespace SupHost.Bench;

/// <summary>
/// The frames both ends exchange: an Ethernet header (destination, source, type 0x88b5, the local
/// experimental type), then a command byte and a sequence number. Commands: <see cref="Data"/>
/// (count it), <see cref="DataAck"/> (count it and answer with an <see cref="Ack"/> carrying the
/// sequence number), <see cref="Echo"/> (send it back whole), <see cref="Stop"/> (end).
/// </summary>
internal static class FrameExchange
{
    public const byte Data = (byte)'D';
    public const byte DataAck = (byte)'A';
    public const byte Ack = (byte)'K';
    public const byte Echo = (byte)'E';
    public const byte Stop = (byte)'S';
    public const int CommandOffset = 14;
    public const int SequenceOffset = 16;
    public const int AckSize = 64;
    public const int LargestFrame = 65535;

    public static readonly byte[] ParentMac = [0x02, 0x53, 0x42, 0x00, 0x00, 0x01];
    public static readonly byte[] ChildMac = [0x02, 0x53, 0x42, 0x00, 0x00, 0x02];

    /// <summary>Fills the Ethernet header and a recognisable payload.</summary>
    public static void Prepare(Span<byte> frame, ReadOnlySpan<byte> destination, ReadOnlySpan<byte> source)
    {
        destination.CopyTo(frame);
        source.CopyTo(frame[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], 0x88b5);
        for (int i = SequenceOffset + 8; i < frame.Length; i++)
        {
            frame[i] = (byte)i;
        }
    }

    public static void Mark(Span<byte> frame, byte command, long sequence)
    {
        frame[CommandOffset] = command;
        BinaryPrimitives.WriteInt64LittleEndian(frame[SequenceOffset..], sequence);
    }

    public static long Sequence(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadInt64LittleEndian(frame[SequenceOffset..]);

    /// <summary>The child's loop: answers until a Stop frame comes; returns the frames it counted.</summary>
    public static long Serve(IFramePort port)
    {
        byte[] frame = new byte[FrameExchange.LargestFrame];
        byte[] ack = new byte[AckSize];
        Prepare(ack, ParentMac, ChildMac);
        long counted = 0;
        while (true)
        {
            int length = port.Receive(frame);
            if (length < SequenceOffset + 8)
            {
                continue;
            }

            switch (frame[CommandOffset])
            {
                case Data:
                    counted++;
                    break;
                case DataAck:
                    counted++;
                    Mark(ack, Ack, Sequence(frame));
                    port.Send(ack);
                    break;
                case Echo:
                    // The reply goes back to the parent: swap the addresses.
                    ParentMac.CopyTo(frame, 0);
                    ChildMac.CopyTo(frame, 6);
                    port.Send(frame.AsSpan(0, length));
                    break;
                case Stop:
                    return counted;
            }
        }
    }
}
