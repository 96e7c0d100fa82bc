namespace SupHost.Abi;

/// <summary>
/// A descriptor the daemon opened for a module (<see cref="IModuleIo"/>), held only through this
/// handle. Every descriptor is non-blocking: a read with nothing to read, a write with no room, an
/// accept with nobody waiting answer -53 (WouldBlock) at once. Results are byte counts (0 or more;
/// a stream read of 0 is its end) or negative statuses: -53 WouldBlock, -55 PeerClosed (the other
/// end is gone), -54 IoFailed (another errno; <see cref="IModuleIo.LastError"/> names it), -21
/// ObjectDying once the handle is closed, -2 InvalidParameter for a request the handle cannot
/// take (too many buffers, the wrong kind). Disposing closes the descriptor; the daemon closes
/// every handle a module left open when it unloads (a TAP then disappears).
/// </summary>
/// <remarks>Handles may be used from several threads; one read and one write may run at once.</remarks>
public interface IModuleIoHandle : IDisposable
{
    /// <summary>What it holds.</summary>
    IoHandleKind Kind { get; }

    /// <summary>What it is, for logs ("tap sw0 in netns red", "unix stream /run/x.sock").</summary>
    string Name { get; }

    /// <summary>Whether it was closed (disposed, or by the module's unload).</summary>
    bool IsClosed { get; }

    /// <summary>Reads into <paramref name="buffer"/> (one frame, one datagram, or what a stream has).</summary>
    int Read(Span<byte> buffer);

    /// <summary>Reads into <paramref name="buffers"/> in order (scatter; at most 64 buffers).</summary>
    int Read(ReadOnlySpan<Memory<byte>> buffers);

    /// <summary>Writes <paramref name="data"/> (one frame or datagram; on a stream, possibly only a part: the result says how much).</summary>
    int Write(ReadOnlySpan<byte> data);

    /// <summary>Writes <paramref name="buffers"/> in order as one frame, datagram or stretch of stream (gather; at most 64 buffers).</summary>
    int Write(ReadOnlySpan<ReadOnlyMemory<byte>> buffers);

    /// <summary>
    /// Writes <paramref name="head"/> and then <paramref name="body"/> as one frame, datagram or
    /// stretch of stream (gather from two spans: a device header in front of a frame that lies
    /// elsewhere, without copying either; on a stream, possibly only a part: the result says how
    /// much). An empty <paramref name="body"/> writes the head alone.
    /// </summary>
    int Write(ReadOnlySpan<byte> head, ReadOnlySpan<byte> body);

    /// <summary>An <see cref="IoHandleKind.Event"/>: adds one to its counter, making it readable. 0 or a status.</summary>
    int Signal();

    /// <summary>An <see cref="IoHandleKind.Event"/>: takes its counter (how many signals since the last take), or -53 WouldBlock when it is zero.</summary>
    long Consume();

    /// <summary>An <see cref="IoHandleKind.UnixListener"/>: takes one waiting connection. 0 or a status (-53 WouldBlock: none waits).</summary>
    int Accept(out IModuleIoHandle? connection);
}
