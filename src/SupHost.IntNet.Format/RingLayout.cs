namespace SupHost.IntNet.Format;

/// <summary>
/// Where one ring lies in an interface buffer, as its creator set it: the ring's 48-byte structure
/// and its data area, in bytes from the start of the buffer. A <see cref="RingWriter"/> or
/// <see cref="RingReader"/> keeps these bounds privately and never takes them from shared memory
/// again; shared offsets are relative to <see cref="HeaderOffset"/>.
/// </summary>
/// <param name="HeaderOffset">Where the ring structure (INTNETRINGBUF) starts: 16 for the receive ring, 64 for the send ring.</param>
/// <param name="DataOffset">Where the ring's data area starts.</param>
/// <param name="DataSize">The data area's size in bytes, a multiple of 8; one byte of it is never used.</param>
public readonly record struct RingLayout(int HeaderOffset, int DataOffset, int DataSize)
{
    /// <summary>The data area's end: the first byte after it, from the start of the buffer.</summary>
    public int DataEnd => DataOffset + DataSize;

    /// <summary>offStart as the ring structure holds it: <see cref="DataOffset"/> relative to <see cref="HeaderOffset"/>.</summary>
    public uint SharedStart => (uint)(DataOffset - HeaderOffset);

    /// <summary>offEnd as the ring structure holds it.</summary>
    public uint SharedEnd => (uint)(DataEnd - HeaderOffset);
}
