using System.Buffers.Binary;

namespace SupHost.Client;

/// <summary>
/// libpcap files with nanosecond timestamps, little-endian: a 24-byte header (magic 0xa1b23c4d,
/// version 2.4, thiszone 0, sigfigs 0, snaplen, LINKTYPE_ETHERNET), then per frame a 16-byte record
/// header (seconds, nanoseconds, captured length, original length) and the captured bytes.
/// </summary>
public sealed class PcapWriter : CaptureFileWriter
{
    /// <summary>The nanosecond-resolution magic.</summary>
    public const uint NanosecondMagic = 0xa1b23c4d;

    /// <summary>Writes the file header to <paramref name="stream"/>.</summary>
    public PcapWriter(Stream stream, int snapLength = IntNetCapture.MaxSnapLength, bool leaveOpen = false)
        : base(stream, snapLength, leaveOpen)
    {
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, NanosecondMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)snapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], LinkTypeEthernet);
        Stream.Write(header);
    }

    private protected override void WriteRecord(long timestampNanoseconds, int originalLength, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[16];
        (long seconds, long nanoseconds) = Math.DivRem(timestampNanoseconds, 1_000_000_000);
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)seconds);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)nanoseconds);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], (uint)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], (uint)originalLength);
        Stream.Write(header);
        Stream.Write(data);
    }
}
