using System.Buffers.Binary;
using System.Text;

namespace SupHost.Client;

/// <summary>
/// pcapng files, little-endian: a section header block (byte-order magic 0x1a2b3c4d, version 1.0,
/// section length unknown, shb_userappl), one interface description block (LINKTYPE_ETHERNET, the
/// snap length, if_name when given, if_tsresol 9: nanoseconds), then an enhanced packet block per
/// frame (interface 0, the 64-bit nanosecond timestamp in two halves, captured and original
/// lengths, the bytes padded to 4).
/// </summary>
public sealed class PcapNgWriter : CaptureFileWriter
{
    private const uint SectionHeaderBlock = 0x0a0d0d0a;
    private const uint InterfaceDescriptionBlock = 1;
    private const uint EnhancedPacketBlock = 6;
    private const uint ByteOrderMagic = 0x1a2b3c4d;
    private const ushort OptionEnd = 0;
    private const ushort OptionUserApplication = 4;
    private const ushort OptionInterfaceName = 2;
    private const ushort OptionTimestampResolution = 9;

    /// <summary>Writes the section header and the interface description to <paramref name="stream"/>.</summary>
    /// <param name="stream">Where the file goes.</param>
    /// <param name="snapLength">The most bytes of a frame kept, 1 to 65535.</param>
    /// <param name="interfaceName">The interface's name (if_name), or null for none.</param>
    /// <param name="leaveOpen">Leave the stream open when the writer is disposed.</param>
    public PcapNgWriter(Stream stream, int snapLength = IntNetCapture.MaxSnapLength, string? interfaceName = null, bool leaveOpen = false)
        : base(stream, snapLength, leaveOpen)
    {
        if (interfaceName is not null && Encoding.UTF8.GetByteCount(interfaceName) > 255)
        {
            throw new ArgumentException("an interface name is at most 255 bytes here", nameof(interfaceName));
        }

        using var block = new MemoryStream();
        WriteBlock(block, SectionHeaderBlock, body =>
        {
            Span<byte> fixedPart = stackalloc byte[16];
            BinaryPrimitives.WriteUInt32LittleEndian(fixedPart, ByteOrderMagic);
            BinaryPrimitives.WriteUInt16LittleEndian(fixedPart[4..], 1);
            BinaryPrimitives.WriteUInt16LittleEndian(fixedPart[6..], 0);
            BinaryPrimitives.WriteInt64LittleEndian(fixedPart[8..], -1);
            body.Write(fixedPart);
            WriteOption(body, OptionUserApplication, Encoding.UTF8.GetBytes("SupHost"));
            WriteOption(body, OptionEnd, []);
        });
        WriteBlock(block, InterfaceDescriptionBlock, body =>
        {
            Span<byte> fixedPart = stackalloc byte[8];
            BinaryPrimitives.WriteUInt16LittleEndian(fixedPart, LinkTypeEthernet);
            BinaryPrimitives.WriteUInt16LittleEndian(fixedPart[2..], 0);
            BinaryPrimitives.WriteUInt32LittleEndian(fixedPart[4..], (uint)snapLength);
            body.Write(fixedPart);
            if (!string.IsNullOrEmpty(interfaceName))
            {
                WriteOption(body, OptionInterfaceName, Encoding.UTF8.GetBytes(interfaceName));
            }

            WriteOption(body, OptionTimestampResolution, [9]);
            WriteOption(body, OptionEnd, []);
        });
        Stream.Write(block.GetBuffer().AsSpan(0, (int)block.Length));
    }

    private protected override void WriteRecord(long timestampNanoseconds, int originalLength, ReadOnlySpan<byte> data)
    {
        int padded = (data.Length + 3) & ~3;
        int total = 32 + padded;
        Span<byte> header = stackalloc byte[28];
        BinaryPrimitives.WriteUInt32LittleEndian(header, EnhancedPacketBlock);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)total);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], (uint)((ulong)timestampNanoseconds >> 32));
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)timestampNanoseconds);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], (uint)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[24..], (uint)originalLength);
        Stream.Write(header);
        Stream.Write(data);
        Span<byte> trailer = stackalloc byte[7];
        trailer.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[(padded - data.Length)..], (uint)total);
        Stream.Write(trailer[..(padded - data.Length + 4)]);
    }

    /// <summary>A block: type, total length, the body <paramref name="writeBody"/> writes (a multiple of 4), total length again.</summary>
    private static void WriteBlock(MemoryStream file, uint type, Action<MemoryStream> writeBody)
    {
        using var body = new MemoryStream();
        writeBody(body);
        uint total = (uint)(12 + body.Length);
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(word, type);
        file.Write(word);
        BinaryPrimitives.WriteUInt32LittleEndian(word, total);
        file.Write(word);
        file.Write(body.GetBuffer().AsSpan(0, (int)body.Length));
        file.Write(word);
    }

    /// <summary>An option: code, length, the value padded to 4.</summary>
    private static void WriteOption(MemoryStream body, ushort code, ReadOnlySpan<byte> value)
    {
        Span<byte> head = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(head, code);
        BinaryPrimitives.WriteUInt16LittleEndian(head[2..], (ushort)value.Length);
        body.Write(head);
        body.Write(value);
        Span<byte> padding = stackalloc byte[3];
        padding.Clear();
        body.Write(padding[..((4 - (value.Length & 3)) & 3)]);
    }
}
