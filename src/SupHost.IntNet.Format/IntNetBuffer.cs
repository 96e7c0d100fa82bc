using System.Buffers.Binary;

namespace SupHost.IntNet.Format;

/// <summary>
/// The interface buffer (the original's INTNETBUF): a 320-byte header holding the two ring
/// structures and the counters, then the receive ring's data, then the send ring's. Little-endian
/// throughout; every offset below is in bytes from the start of the buffer, and the offsets inside a
/// ring structure are relative to that structure. See docs/intnet.md, "The interface buffer".
/// </summary>
public static class IntNetBuffer
{
    /// <summary>The magic at offset 0 (INTNETBUF_MAGIC).</summary>
    public const uint Magic = 0x19110919;

    /// <summary>The header's size; the receive ring's data starts here.</summary>
    public const int HeaderSize = 320;

    /// <summary>u32 magic.</summary>
    public const int MagicOffset = 0;

    /// <summary>u32 cbBuf: the whole buffer's size.</summary>
    public const int SizeOffset = 4;

    /// <summary>u32 cbSend: the send ring's data size.</summary>
    public const int SendSizeOffset = 8;

    /// <summary>u32 cbRecv: the receive ring's data size.</summary>
    public const int ReceiveSizeOffset = 12;

    /// <summary>The receive ring's structure (48 bytes).</summary>
    public const int ReceiveRingOffset = 16;

    /// <summary>The send ring's structure (48 bytes).</summary>
    public const int SendRingOffset = 64;

    /// <summary>u64 deliveries that succeeded after a yield.</summary>
    public const int YieldsOkOffset = 112;

    /// <summary>u64 deliveries that failed after a yield.</summary>
    public const int YieldsNotOkOffset = 120;

    /// <summary>u64 frames lost: not delivered into the receive ring.</summary>
    public const int LostOffset = 128;

    /// <summary>u64 bad entries found in the send ring.</summary>
    public const int BadFramesOffset = 136;

    /// <summary>The size of a ring structure (INTNETRINGBUF).</summary>
    public const int RingHeaderSize = 48;

    /// <summary>In a ring structure: u32 offStart, where the data area starts.</summary>
    public const int RingStartOffset = 0;

    /// <summary>In a ring structure: u32 offEnd, the first byte after the data area.</summary>
    public const int RingEndOffset = 4;

    /// <summary>In a ring structure: u32 offReadX, published by the reader: the next entry it will read.</summary>
    public const int RingReadOffset = 8;

    /// <summary>In a ring structure: u32 offWriteCom, published by the writer: the end of what it committed.</summary>
    public const int RingWriteCommittedOffset = 16;

    /// <summary>In a ring structure: u32 offWriteInt, published by the writer: the end of what it allocated (informational).</summary>
    public const int RingWriteInternalOffset = 20;

    /// <summary>In a ring structure: u64 frame bytes the writer committed.</summary>
    public const int RingBytesWrittenOffset = 24;

    /// <summary>In a ring structure: u64 frames the writer committed.</summary>
    public const int RingFramesOffset = 32;

    /// <summary>In a ring structure: u64 frames the writer refused because they did not fit.</summary>
    public const int RingOverflowsOffset = 40;

    /// <summary>The size of an entry's header (INTNETHDR): u32 length and type, i32 offset of the frame.</summary>
    public const int FrameHeaderSize = 8;

    /// <summary>Entries, frames and ring sizes are multiples of this.</summary>
    public const int Alignment = 8;

    /// <summary>The largest frame an entry can describe: its length is 24 bits.</summary>
    public const int MaxFrameSize = 0xFFFFFF;

    /// <summary>Word 144 (4 bytes), the switch's state bits: <see cref="SwitchDraining"/>, <see cref="SwitchClosed"/>, <see cref="SwitchWaitsAborted"/>. Written by the switch.</summary>
    public const int SwitchStateOffset = 144;

    /// <summary>Word 148 (4 bytes): non-zero while the client sleeps (or is about to) on its receive doorbell. Written by the client.</summary>
    public const int SleepingOffset = 148;

    /// <summary>Word 152 (4 bytes), the interface's state as the switch sees it: <see cref="InterfaceActive"/>, <see cref="InterfacePromiscuous"/>, <see cref="InterfaceMacSet"/>. Written by the switch.</summary>
    public const int InterfaceStateOffset = 152;

    /// <summary>Bytes 160 to 165: the interface's MAC as the switch sees it (learned or set). Written by the switch.</summary>
    public const int MacOffset = 160;

    /// <summary>Word 144 bit 0: the switch is draining the send ring and looks again before it sleeps (a send need not ring).</summary>
    public const uint SwitchDraining = 1u << 0;

    /// <summary>Word 144 bit 1: the interface is closed; nothing more is switched to or from it.</summary>
    public const uint SwitchClosed = 1u << 1;

    /// <summary>Word 144 bit 2: AbortWait with "no more waits": every wait ends at once from now on.</summary>
    public const uint SwitchWaitsAborted = 1u << 2;

    /// <summary>Word 152 bit 0: the interface is active.</summary>
    public const uint InterfaceActive = 1u << 0;

    /// <summary>Word 152 bit 1: the interface is promiscuous (requested and allowed by policy).</summary>
    public const uint InterfacePromiscuous = 1u << 1;

    /// <summary>Word 152 bit 2: the MAC was set (it is no longer learned).</summary>
    public const uint InterfaceMacSet = 1u << 2;

    /// <summary>The smallest ring data size; smaller requests are raised to it.</summary>
    public const int MinRingSize = 32;

    /// <summary>The largest ring data size this format accepts (512 MiB), so that every offset fits in 31 bits.</summary>
    public const int MaxRingSize = 1 << 29;

    /// <summary>
    /// The geometry <see cref="Initialize"/> gives a buffer: each size rounded up to a multiple of 8
    /// and raised to <see cref="MinRingSize"/>; the receive data at offset 320, the send data right after.
    /// </summary>
    /// <param name="receiveSize">The receive ring's data size the creator asks for, 0 to <see cref="MaxRingSize"/>.</param>
    /// <param name="sendSize">The send ring's data size the creator asks for, 0 to <see cref="MaxRingSize"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative or above <see cref="MaxRingSize"/>.</exception>
    public static BufferLayout Layout(int receiveSize, int sendSize)
    {
        int receive = RoundRingSize(receiveSize, nameof(receiveSize));
        int send = RoundRingSize(sendSize, nameof(sendSize));
        return new BufferLayout(
            HeaderSize + receive + send,
            new RingLayout(ReceiveRingOffset, HeaderSize, receive),
            new RingLayout(SendRingOffset, HeaderSize + receive, send));
    }

    /// <summary>The size in bytes of the buffer <see cref="Initialize"/> makes for these ring sizes (cbBuf).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative or above <see cref="MaxRingSize"/>.</exception>
    public static int RequiredSize(int receiveSize, int sendSize) => Layout(receiveSize, sendSize).Size;

    /// <summary>
    /// Makes an empty interface buffer in <paramref name="buffer"/>: zeroes its first
    /// <see cref="RequiredSize"/> bytes and writes the header, both rings empty (every offset at
    /// the ring's start). Only the creator calls this, before anyone else maps the buffer.
    /// </summary>
    /// <returns>The geometry to create the rings' writers and readers with.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative or above <see cref="MaxRingSize"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="buffer"/> is shorter than the buffer needs.</exception>
    public static BufferLayout Initialize(Span<byte> buffer, int receiveSize, int sendSize)
    {
        BufferLayout layout = Layout(receiveSize, sendSize);
        if (buffer.Length < layout.Size)
        {
            throw new ArgumentException($"the buffer holds {buffer.Length} bytes; rings of {layout.Receive.DataSize} and {layout.Send.DataSize} bytes need {layout.Size}", nameof(buffer));
        }

        buffer[..layout.Size].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[SizeOffset..], (uint)layout.Size);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[SendSizeOffset..], (uint)layout.Send.DataSize);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[ReceiveSizeOffset..], (uint)layout.Receive.DataSize);
        InitializeRing(buffer[layout.Receive.HeaderOffset..], layout.Receive);
        InitializeRing(buffer[layout.Send.HeaderOffset..], layout.Send);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[MagicOffset..], Magic);
        return layout;
    }

    /// <summary>
    /// Reads the geometry of a buffer someone else made (a client that mapped the buffer the switch
    /// gave it), once, and checks it against the rule <see cref="Initialize"/> follows: the magic,
    /// both sizes multiples of 8 from <see cref="MinRingSize"/> to <see cref="MaxRingSize"/>, cbBuf
    /// their sum plus 320 and within <paramref name="buffer"/>, each ring's start and end where the
    /// rule puts them. Keep the layout it returns; never read the geometry from the buffer again.
    /// </summary>
    /// <param name="buffer">The mapped buffer (its mapping may be longer than cbBuf: a whole number of pages).</param>
    /// <param name="layout">The geometry, when it is valid.</param>
    /// <param name="problem">Why it is not, naming the value and the rule; null when valid.</param>
    public static bool TryValidateHeader(ReadOnlySpan<byte> buffer, out BufferLayout layout, out string? problem)
    {
        layout = default;
        if (buffer.Length < HeaderSize)
        {
            problem = $"the buffer holds {buffer.Length} bytes, less than the {HeaderSize}-byte header";
            return false;
        }

        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(buffer[MagicOffset..]);
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(buffer[SizeOffset..]);
        uint send = BinaryPrimitives.ReadUInt32LittleEndian(buffer[SendSizeOffset..]);
        uint receive = BinaryPrimitives.ReadUInt32LittleEndian(buffer[ReceiveSizeOffset..]);
        if (magic != Magic)
        {
            problem = $"the magic is 0x{magic:x8}, not 0x{Magic:x8}";
            return false;
        }

        problem = CheckRingSize(receive, "receive") ?? CheckRingSize(send, "send");
        if (problem is not null)
        {
            return false;
        }

        BufferLayout expected = Layout((int)receive, (int)send);
        if (size != (uint)expected.Size)
        {
            problem = $"cbBuf is {size}, not {expected.Size} (320 + {receive} + {send})";
            return false;
        }

        if (size > (uint)buffer.Length)
        {
            problem = $"cbBuf {size} exceeds the {buffer.Length} bytes mapped";
            return false;
        }

        problem = CheckRing(buffer, expected.Receive, "receive") ?? CheckRing(buffer, expected.Send, "send");
        if (problem is not null)
        {
            return false;
        }

        layout = expected;
        return true;
    }

    /// <summary>Reads the buffer-wide counters (each read once; a client may have written anything there).</summary>
    /// <exception cref="ArgumentException"><paramref name="buffer"/> is shorter than the header.</exception>
    public static BufferStatistics ReadStatistics(ReadOnlySpan<byte> buffer)
    {
        CheckHeader(buffer.Length, nameof(buffer));
        return new BufferStatistics(
            BinaryPrimitives.ReadUInt64LittleEndian(buffer[YieldsOkOffset..]),
            BinaryPrimitives.ReadUInt64LittleEndian(buffer[YieldsNotOkOffset..]),
            BinaryPrimitives.ReadUInt64LittleEndian(buffer[LostOffset..]),
            BinaryPrimitives.ReadUInt64LittleEndian(buffer[BadFramesOffset..]));
    }

    /// <summary>
    /// Writes the buffer-wide counters. The switch keeps the real figures privately and publishes
    /// copies here; it never reads them back.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="buffer"/> is shorter than the header.</exception>
    public static void PublishStatistics(Span<byte> buffer, BufferStatistics statistics)
    {
        CheckHeader(buffer.Length, nameof(buffer));
        BinaryPrimitives.WriteUInt64LittleEndian(buffer[YieldsOkOffset..], statistics.YieldsOk);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer[YieldsNotOkOffset..], statistics.YieldsNotOk);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer[LostOffset..], statistics.Lost);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer[BadFramesOffset..], statistics.BadFrames);
    }

    /// <summary>Rounds up to a multiple of 8, as every ring offset is.</summary>
    internal static long Align(long value) => (value + (Alignment - 1)) & ~(long)(Alignment - 1);

    private static int RoundRingSize(int size, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size, name);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, MaxRingSize, name);
        return Math.Max(MinRingSize, (int)Align(size));
    }

    private static void InitializeRing(Span<byte> ring, RingLayout layout)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(ring[RingStartOffset..], layout.SharedStart);
        BinaryPrimitives.WriteUInt32LittleEndian(ring[RingEndOffset..], layout.SharedEnd);
        BinaryPrimitives.WriteUInt32LittleEndian(ring[RingReadOffset..], layout.SharedStart);
        BinaryPrimitives.WriteUInt32LittleEndian(ring[RingWriteCommittedOffset..], layout.SharedStart);
        BinaryPrimitives.WriteUInt32LittleEndian(ring[RingWriteInternalOffset..], layout.SharedStart);
    }

    private static string? CheckRingSize(uint size, string which) =>
        size < MinRingSize || size > MaxRingSize || size % Alignment != 0
            ? $"the {which} ring's size {size} is not a multiple of {Alignment} from {MinRingSize} to {MaxRingSize}"
            : null;

    private static string? CheckRing(ReadOnlySpan<byte> buffer, RingLayout expected, string which)
    {
        ReadOnlySpan<byte> ring = buffer[expected.HeaderOffset..];
        uint start = BinaryPrimitives.ReadUInt32LittleEndian(ring[RingStartOffset..]);
        uint end = BinaryPrimitives.ReadUInt32LittleEndian(ring[RingEndOffset..]);
        return start != expected.SharedStart || end != expected.SharedEnd
            ? $"the {which} ring spans {start} to {end} from its structure, not {expected.SharedStart} to {expected.SharedEnd}"
            : null;
    }

    private static void CheckHeader(int length, string name)
    {
        if (length < HeaderSize)
        {
            throw new ArgumentException($"the buffer holds {length} bytes, less than the {HeaderSize}-byte header", name);
        }
    }
}
