namespace SupHost.Client;

/// <summary>
/// Writes captured Ethernet frames to a stream that <c>tshark -r</c> and Wireshark read: the file's
/// header when it is made, then one record per <see cref="WritePacket"/>, each written through to
/// the stream (call <see cref="Flush"/> to push a live capture out). Not thread-safe.
/// </summary>
public abstract class CaptureFileWriter : IDisposable
{
    /// <summary>LINKTYPE_ETHERNET.</summary>
    public const int LinkTypeEthernet = 1;

    private readonly bool _leaveOpen;
    private bool _disposed;

    /// <summary>Makes the writer; the derived class writes its header.</summary>
    private protected CaptureFileWriter(Stream stream, int snapLength, bool leaveOpen)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(snapLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(snapLength, IntNetCapture.MaxSnapLength);
        Stream = stream;
        SnapLength = snapLength;
        _leaveOpen = leaveOpen;
    }

    /// <summary>The most bytes of a frame a record keeps (the file header says so too).</summary>
    public int SnapLength { get; }

    /// <summary>Records written.</summary>
    public long PacketsWritten { get; private protected set; }

    /// <summary>The stream written to.</summary>
    protected Stream Stream { get; }

    /// <summary>Makes a writer of <paramref name="format"/> on <paramref name="stream"/> and writes the file's header.</summary>
    /// <param name="stream">Where the file goes.</param>
    /// <param name="format">pcap or pcapng.</param>
    /// <param name="snapLength">The most bytes of a frame kept, 1 to 65535.</param>
    /// <param name="interfaceName">pcapng: the interface's name (if_name), such as the network's; pcap has no place for it.</param>
    /// <param name="leaveOpen">Leave the stream open when the writer is disposed.</param>
    public static CaptureFileWriter Create(Stream stream, CaptureFileFormat format, int snapLength = IntNetCapture.MaxSnapLength, string? interfaceName = null, bool leaveOpen = false) => format switch
    {
        CaptureFileFormat.Pcap => new PcapWriter(stream, snapLength, leaveOpen),
        CaptureFileFormat.PcapNg => new PcapNgWriter(stream, snapLength, interfaceName, leaveOpen),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "pcap or pcapng"),
    };

    /// <summary>
    /// Writes one frame: its first <see cref="SnapLength"/> bytes of <paramref name="data"/>, with the
    /// time and the length it had on the wire.
    /// </summary>
    /// <param name="timestampNanoseconds">Nanoseconds since the Unix epoch (CLOCK_REALTIME), not negative.</param>
    /// <param name="originalLength">The frame's length on the wire; at least the bytes given.</param>
    /// <param name="data">The bytes captured (cut to <see cref="SnapLength"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">A negative timestamp, or an original length shorter than the data.</exception>
    public void WritePacket(long timestampNanoseconds, int originalLength, ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(timestampNanoseconds);
        ArgumentOutOfRangeException.ThrowIfLessThan(originalLength, data.Length);
        WriteRecord(timestampNanoseconds, originalLength, data.Length > SnapLength ? data[..SnapLength] : data);
        PacketsWritten++;
    }

    /// <summary>Writes a capture record as the switch made it.</summary>
    public void Write(IntNetCaptureRecord record) => WritePacket(record.TimestampNanoseconds, record.WireLength, record.Data);

    /// <summary>Flushes the stream.</summary>
    public void Flush() => Stream.Flush();

    /// <summary>Flushes and, unless it was made to leave it open, closes the stream.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Flushes and closes the stream (unless left open).</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (disposing)
        {
            Stream.Flush();
            if (!_leaveOpen)
            {
                Stream.Dispose();
            }
        }
    }

    /// <summary>Writes one record of the format; <paramref name="data"/> is already cut to the snap length.</summary>
    private protected abstract void WriteRecord(long timestampNanoseconds, int originalLength, ReadOnlySpan<byte> data);
}
