using System.Buffers.Binary;

namespace SupHost.Protocol;

/// <summary>
/// The fixed 40-byte little-endian header in front of every request and reply:
/// magic@0, flags@4, cookie@8 (u64), function@16, inputSize@20, outputSize@24, status@28 (i32),
/// sequence@32, reserved@36.
/// </summary>
/// <param name="Magic">Always <see cref="ProtocolConstants.HeaderMagic"/>.</param>
/// <param name="Flags">Request: none defined. Reply: <see cref="HeaderFlags.Reply"/> and maybe <see cref="HeaderFlags.Message"/>.</param>
/// <param name="Cookie">The session cookie (zero in the cookie request).</param>
/// <param name="Function">What the request asks for; echoed in the reply.</param>
/// <param name="InputSize">Payload bytes after the header in this datagram.</param>
/// <param name="OutputSize">Request: the largest reply payload the client accepts. Reply: for <see cref="SupStatus.BufferOverflow"/> the output size that would fit, else zero.</param>
/// <param name="Status">Request: zero. Reply: the status.</param>
/// <param name="Sequence">Chosen by the client, echoed in the reply.</param>
/// <param name="Reserved">Zero.</param>
public readonly record struct MessageHeader(
    uint Magic,
    HeaderFlags Flags,
    ulong Cookie,
    SupFunction Function,
    uint InputSize,
    uint OutputSize,
    SupStatus Status,
    uint Sequence,
    uint Reserved)
{
    /// <summary>Reads a header from the first <see cref="ProtocolConstants.HeaderSize"/> bytes.</summary>
    public static MessageHeader Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < ProtocolConstants.HeaderSize)
        {
            throw new ArgumentException($"header needs {ProtocolConstants.HeaderSize} bytes, got {source.Length}", nameof(source));
        }

        return new MessageHeader(
            BinaryPrimitives.ReadUInt32LittleEndian(source),
            (HeaderFlags)BinaryPrimitives.ReadUInt32LittleEndian(source[4..]),
            BinaryPrimitives.ReadUInt64LittleEndian(source[8..]),
            (SupFunction)BinaryPrimitives.ReadUInt32LittleEndian(source[16..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[20..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[24..]),
            (SupStatus)BinaryPrimitives.ReadInt32LittleEndian(source[28..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[32..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[36..]));
    }

    /// <summary>Writes this header into the first <see cref="ProtocolConstants.HeaderSize"/> bytes.</summary>
    public void Write(Span<byte> destination)
    {
        if (destination.Length < ProtocolConstants.HeaderSize)
        {
            throw new ArgumentException($"header needs {ProtocolConstants.HeaderSize} bytes, got {destination.Length}", nameof(destination));
        }

        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], (uint)Flags);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], Cookie);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[16..], (uint)Function);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[20..], InputSize);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[24..], OutputSize);
        BinaryPrimitives.WriteInt32LittleEndian(destination[28..], (int)Status);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[32..], Sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[36..], Reserved);
    }

    /// <summary>A request header for <paramref name="function"/>.</summary>
    public static MessageHeader ForRequest(ulong cookie, SupFunction function, int inputSize, int outputSize, uint sequence) =>
        new(ProtocolConstants.HeaderMagic, HeaderFlags.None, cookie, function, (uint)inputSize, (uint)outputSize, SupStatus.Success, sequence, 0);
}
