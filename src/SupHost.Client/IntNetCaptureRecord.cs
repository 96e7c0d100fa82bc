using System.Buffers.Binary;

namespace SupHost.Client;

/// <summary>
/// One switched frame as a capture ring carries it (docs/intnet.md, "Capture"): a FRAME entry of
/// @0 u64 timestamp (CLOCK_REALTIME nanoseconds), @8 u32 the frame's length on the wire, @12 u32
/// the source port's id (0: the trunk's wire end, 0xffffffff: its host end), @16 the frame's first
/// snap-length bytes.
/// </summary>
public readonly ref struct IntNetCaptureRecord
{
    /// <summary>The record's fixed part before the frame's bytes.</summary>
    public const int HeaderSize = 16;

    /// <summary>The source port id of the trunk's wire end.</summary>
    public const uint TrunkWirePort = 0;

    /// <summary>The source port id of the trunk's host end.</summary>
    public const uint TrunkHostPort = 0xffffffff;

    private IntNetCaptureRecord(long timestamp, int wireLength, uint sourcePort, ReadOnlySpan<byte> data)
    {
        TimestampNanoseconds = timestamp;
        WireLength = wireLength;
        SourcePort = sourcePort;
        Data = data;
    }

    /// <summary>When the switch switched the frame: nanoseconds since the Unix epoch (CLOCK_REALTIME).</summary>
    public long TimestampNanoseconds { get; }

    /// <summary>The frame's whole length on the wire (GSO super-frames: the whole frame without its context).</summary>
    public int WireLength { get; }

    /// <summary>The port the frame came from (its id in <c>NetShow</c>), or one of the trunk's ends.</summary>
    public uint SourcePort { get; }

    /// <summary>The frame's bytes captured: at most the snap length, and never more than <see cref="WireLength"/>.</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>
    /// Reads a record from a capture entry's bytes; false when they cannot be one (shorter than
    /// the 16-byte head, a wire length beyond 2^31 or shorter than what was captured).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> entry, out IntNetCaptureRecord record)
    {
        record = default;
        if (entry.Length < HeaderSize)
        {
            return false;
        }

        long timestamp = BinaryPrimitives.ReadInt64LittleEndian(entry);
        uint wire = BinaryPrimitives.ReadUInt32LittleEndian(entry[8..]);
        uint source = BinaryPrimitives.ReadUInt32LittleEndian(entry[12..]);
        ReadOnlySpan<byte> data = entry[HeaderSize..];
        if (wire > int.MaxValue || wire < data.Length)
        {
            return false;
        }

        record = new IntNetCaptureRecord(timestamp, (int)wire, source, data);
        return true;
    }

    /// <summary>Writes a record's bytes (what the switch puts into a capture ring); for tests and tools that play the switch.</summary>
    /// <returns>The bytes written: 16 + <paramref name="data"/>'s length.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short, or <paramref name="wireLength"/> is shorter than the data.</exception>
    public static int Write(Span<byte> destination, long timestampNanoseconds, int wireLength, uint sourcePort, ReadOnlySpan<byte> data)
    {
        if (destination.Length < HeaderSize + data.Length)
        {
            throw new ArgumentException($"a record of {data.Length} captured bytes takes {HeaderSize + data.Length} bytes", nameof(destination));
        }

        if (wireLength < data.Length)
        {
            throw new ArgumentException($"the wire length {wireLength} is shorter than the {data.Length} bytes captured", nameof(wireLength));
        }

        BinaryPrimitives.WriteInt64LittleEndian(destination, timestampNanoseconds);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], (uint)wireLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], sourcePort);
        data.CopyTo(destination[HeaderSize..]);
        return HeaderSize + data.Length;
    }
}
