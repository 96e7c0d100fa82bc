using System.Buffers.Binary;

namespace SupHost.IntNet.Internal.Qemu;

/// <summary>
/// A QEMU port's bounded queue of frames the socket could not take yet (a paused VM, a full socket
/// buffer): a ring of bytes made once with the port, each frame behind its length as a 4-byte
/// big-endian integer (QEMU's stream framing, so that a stream writes the ring as it is). Not
/// thread-safe: its port holds a lock around it.
/// </summary>
internal sealed class FrameQueue(int capacity)
{
    private const int HeaderSize = 4;

    [ThreadStatic]
    private static byte[]? t_scratch;

    private readonly int _capacity = capacity;
    private byte[] _ring = [];
    private int _head;
    private int _count;

    /// <summary>The bytes queued (headers included).</summary>
    public int Count => Volatile.Read(ref _count);

    public int Capacity => _capacity;

    /// <summary>Queues a frame behind its length; false when it does not fit (the caller counts it lost).</summary>
    public bool TryEnqueue(ReadOnlySpan<byte> frame)
    {
        if (HeaderSize + frame.Length > _capacity - _count)
        {
            return false;
        }

        if (_ring.Length == 0)
        {
            // Made on the first frame and kept: a datagram peer that never backs up never has one.
            _ring = new byte[_capacity];
        }

        Span<byte> header = stackalloc byte[HeaderSize];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)frame.Length);
        Put(header);
        Put(frame);
        return true;
    }

    /// <summary>The queued bytes from the head up to the ring's end: what one stream write can send.</summary>
    public ReadOnlySpan<byte> PeekBytes() => _ring.AsSpan(_head, Math.Min(_count, _ring.Length - _head));

    /// <summary>The first frame whole (without its header), for one datagram; copied into a per-thread buffer when it wraps.</summary>
    public ReadOnlySpan<byte> PeekFrame(out int entryLength)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        Get(0, header);
        int length = (int)BinaryPrimitives.ReadUInt32BigEndian(header);
        entryLength = HeaderSize + length;
        int start = (_head + HeaderSize) % _ring.Length;
        if (start + length <= _ring.Length)
        {
            return _ring.AsSpan(start, length);
        }

        byte[] scratch = t_scratch ??= new byte[QemuPort.MaxFrame];
        Get(HeaderSize, scratch.AsSpan(0, length));
        return scratch.AsSpan(0, length);
    }

    /// <summary>Takes <paramref name="bytes"/> off the head (what a write sent).</summary>
    public void Advance(int bytes)
    {
        _head = (_head + bytes) % _ring.Length;
        _count -= bytes;
        if (_count == 0)
        {
            _head = 0;
        }
    }

    private void Put(ReadOnlySpan<byte> data)
    {
        int tail = (_head + _count) % _ring.Length;
        int first = Math.Min(data.Length, _ring.Length - tail);
        data[..first].CopyTo(_ring.AsSpan(tail));
        data[first..].CopyTo(_ring);
        _count += data.Length;
    }

    private void Get(int offset, Span<byte> destination)
    {
        int start = (_head + offset) % _ring.Length;
        int first = Math.Min(destination.Length, _ring.Length - start);
        _ring.AsSpan(start, first).CopyTo(destination);
        _ring.AsSpan(0, destination.Length - first).CopyTo(destination[first..]);
    }
}
