using System.Buffers.Binary;
using SupHost.Abi;
using SupHost.IntNet.Format;

namespace SupHost.IntNet.Internal.Qemu;

/// <summary>
/// One connection of QEMU's <c>-netdev stream</c>: every frame behind its length as a 4-byte
/// big-endian integer, no greeting. Reads (on the QEMU loop) take what the socket has, frames split
/// and merged across reads, and switch every whole frame; a length of 0 or over
/// <see cref="QemuPort.MaxFrame"/> ends the connection (logged and counted). Writes go out at once
/// from the switching thread while the socket has room; a partial write leaves the rest in the
/// queue, and the loop resumes it when the socket is writable again.
/// </summary>
internal sealed class QemuStreamPort : QemuPort, IQemuWaiter
{
    private const int HeaderSize = 4;

    /// <summary>Two whole frames: a frame that began anywhere always fits after the leftover moves to the front.</summary>
    private const int ReadBufferSize = 2 * (HeaderSize + MaxFrame);

    /// <summary>Reads per wake-up before the loop serves the other sockets.</summary>
    private const int ReadBudget = 16;

    private readonly IModuleIoHandle _socket;
    private readonly QemuLoop _loop;
    private readonly byte[] _read = new byte[ReadBufferSize];
    private int _readStart;
    private int _readEnd;
    private long _partialSince;
    private bool _writeWaiting;
    private bool _deferred;

    public QemuStreamPort(uint id, Network network, QemuEndpoint endpoint, string peer, int queueBytes, IModuleIoHandle socket, QemuLoop loop)
        : base(id, network, endpoint, peer, queueBytes)
    {
        _socket = socket;
        _loop = loop;
    }

    public override string Kind => "qemu-stream";

    public ulong Token { get; set; }

    public IModuleIoHandle Socket => _socket;

    /// <summary>Bytes of a frame begun and not yet whole.</summary>
    public int Partial => Volatile.Read(ref _readEnd) - Volatile.Read(ref _readStart);

    /// <summary>Since when (Environment.TickCount64) a frame stands half read; 0 when none does.</summary>
    public long PartialSince => Volatile.Read(ref _partialSince);

    public void OnReady(IoInterest events, SwitchContext context)
    {
        if ((events & IoInterest.Writable) != IoInterest.None)
        {
            ResumeWrites();
        }

        if ((events & (IoInterest.Readable | IoInterest.HangUp | IoInterest.Error)) != IoInterest.None)
        {
            ReadFrames(context);
        }
    }

    /// <summary>Ends the connection's socket (the port left its network already).</summary>
    public void CloseSocket()
    {
        lock (WriteLock)
        {
            _socket.Dispose();
        }
    }

    protected override bool Send(ReadOnlySpan<byte> frame)
    {
        if (!Queue.TryEnqueue(frame))
        {
            return false;
        }

        Counters.Out(frame.Length);
        if (_writeWaiting || _deferred)
        {
            return true;
        }

        // On the QEMU loop's own thread (a frame read from another guest), the write waits for the
        // end of the read that brought it, so that a batch of frames costs one write, not one each;
        // a queue past half full is written at once.
        if (Queue.Count <= Queue.Capacity / 2 && QemuLoop.Defer(this))
        {
            _deferred = true;
            return true;
        }

        Flush();
        return true;
    }

    /// <summary>Writes what the loop deferred (on the loop's thread, after a read).</summary>
    public void FlushDeferred()
    {
        lock (WriteLock)
        {
            _deferred = false;
            if (!IsClosed && !_writeWaiting)
            {
                Flush();
            }
        }
    }

    /// <summary>Writes the queue out until it is empty or the socket is full (under the write lock).</summary>
    private void Flush()
    {
        while (Queue.Count != 0)
        {
            int written = _socket.Write(Queue.PeekBytes());
            if (written > 0)
            {
                Queue.Advance(written);
                continue;
            }

            if (written == -53)
            {
                _writeWaiting = true;
                _loop.WatchWritable(this, true);
                return;
            }

            // The peer is gone (or the socket closed): the loop's read sees the end and closes the port.
            _writeWaiting = true;
            _loop.Wake();
            return;
        }
    }

    private void ResumeWrites()
    {
        lock (WriteLock)
        {
            if (IsClosed)
            {
                return;
            }

            _writeWaiting = false;
            Flush();
            if (!_writeWaiting)
            {
                _loop.WatchWritable(this, false);
            }
        }
    }

    private void ReadFrames(SwitchContext context)
    {
        for (int i = 0; i < ReadBudget && !IsClosed; i++)
        {
            int read = _socket.Read(_read.AsSpan(_readEnd));
            if (read == -53)
            {
                return;
            }

            if (read <= 0)
            {
                string how = read == 0 ? "the peer closed the connection" : $"reading failed (status {read})";
                if (_readEnd != _readStart)
                {
                    Endpoint.Counters.CountTruncated();
                    Counters.CountBad();
                    _loop.Close(this, $"{how} in the middle of a frame ({_readEnd - _readStart} bytes of it read)", ModuleLogLevel.Warning);
                }
                else
                {
                    _loop.Close(this, how, ModuleLogLevel.Information);
                }

                return;
            }

            _readEnd += read;
            bool open = SwitchWhole(context);
            QemuLoop.FlushDeferred();
            if (!open)
            {
                return;
            }
        }
    }

    /// <summary>Switches every whole frame in the read buffer and keeps the rest at its front; false when the connection was closed for a bad length.</summary>
    private bool SwitchWhole(SwitchContext context)
    {
        while (_readEnd - _readStart >= HeaderSize)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(_read.AsSpan(_readStart));
            if (length is 0 or > MaxFrame)
            {
                Endpoint.Counters.CountBadLength();
                Counters.CountBad();
                _loop.Close(this, $"a frame length of {length} bytes (1 to {MaxFrame} are allowed)", ModuleLogLevel.Warning);
                return false;
            }

            if (_readEnd - _readStart < HeaderSize + (int)length)
            {
                break;
            }

            ReadOnlySpan<byte> frame = _read.AsSpan(_readStart + HeaderSize, (int)length);
            Counters.In(frame.Length);
            _ = Network.Switch(this, TrunkDirection.None, frame, FrameType.Frame, context);
            _readStart += HeaderSize + (int)length;
        }

        int left = _readEnd - _readStart;
        if (left == 0)
        {
            _readStart = _readEnd = 0;
            Volatile.Write(ref _partialSince, 0);
            return true;
        }

        if (Volatile.Read(ref _partialSince) == 0)
        {
            Volatile.Write(ref _partialSince, Environment.TickCount64);
        }

        if (_readStart != 0 && _read.Length - _readEnd < HeaderSize + MaxFrame)
        {
            _read.AsSpan(_readStart, left).CopyTo(_read);
            _readStart = 0;
            _readEnd = left;
        }

        return true;
    }
}
