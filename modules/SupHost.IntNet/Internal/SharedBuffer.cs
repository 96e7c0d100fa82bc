using System.Buffers;
using System.Buffers.Binary;
using SupHost.Abi;
using SupHost.IntNet.Format;

namespace SupHost.IntNet.Internal;

/// <summary>
/// An interface buffer (or a capture buffer) the switch made for a session: the lease it pinned once
/// for the buffer's life, the receive ring's writer (one producer: every delivery takes the lock),
/// the receive doorbell, and the words beyond the rings (docs/intnet.md, "The buffer header's doorbell
/// words"). Every access to the memory happens under <see cref="DeliverLock"/> or by the owner
/// before <see cref="Close"/>, and checks <see cref="IsClosed"/>, so nothing touches it after it is unpinned.
/// </summary>
internal sealed unsafe class SharedBuffer : IDisposable
{
    public const int FlagsOffset = IntNetBuffer.SwitchStateOffset;
    public const int SleepingOffset = IntNetBuffer.SleepingOffset;
    public const int StateOffset = IntNetBuffer.InterfaceStateOffset;
    public const int MacOffset = IntNetBuffer.MacOffset;
    public const int Draining = (int)IntNetBuffer.SwitchDraining;
    public const int Closed = (int)IntNetBuffer.SwitchClosed;
    public const int WaitsAborted = (int)IntNetBuffer.SwitchWaitsAborted;

    private readonly IModuleMemoryLease _lease;
    private readonly byte* _base;
    private readonly int _length;
    private readonly RingWriter _writer;
    private IModuleIoHandle? _doorbell;
    private MemoryHandle _pin;
    private int _pending;
    private bool _closed;
    private ulong _lost;
    private ulong _bad;

    public SharedBuffer(IModuleMemoryLease lease, BufferLayout layout, IModuleIoHandle? doorbell)
    {
        _lease = lease;
        _pin = lease.Memory.Pin();
        _base = (byte*)_pin.Pointer;
        _length = lease.Length;
        IntNetBuffer.Initialize(new Span<byte>(_base, _length), layout.Receive.DataSize, layout.Send.DataSize);
        Layout = layout;
        _writer = new RingWriter(_base, _length, layout.Receive);
        _doorbell = doorbell;
    }

    public BufferLayout Layout { get; }

    /// <summary>Taken by every producer of the receive ring, and by whatever touches the memory from outside the owner's lock.</summary>
    public Lock DeliverLock { get; } = new();

    public bool IsClosed => Volatile.Read(ref _closed);

    public byte* Base => _base;

    public int Length => _length;

    public ulong Lost => Volatile.Read(ref _lost);

    /// <summary>
    /// Writes a frame into the receive ring: true when it went in; false when the ring is full, its
    /// read offset corrupt or the buffer closed (counted lost, but for the last). Marks the doorbell
    /// due and adds the buffer to <paramref name="touched"/> the first time in a batch.
    /// </summary>
    public bool Write(ReadOnlySpan<byte> head, ReadOnlySpan<byte> frame, FrameType type, List<SharedBuffer> touched)
    {
        lock (DeliverLock)
        {
            if (_closed)
            {
                return false;
            }

            RingStatus status = _writer.Allocate(head.Length + frame.Length, type, out Span<byte> room);
            if (status != RingStatus.Success)
            {
                _lost++;
                PublishLocked();
                return false;
            }

            head.CopyTo(room);
            frame.CopyTo(room[head.Length..]);
            _writer.Commit();
        }

        if (Interlocked.Exchange(ref _pending, 1) == 0)
        {
            touched.Add(this);
        }

        return true;
    }

    /// <summary>
    /// The end of a batch: signals the receive doorbell if the client said it sleeps (word 148),
    /// after a full fence, so that a client that set the word before its last look is woken.
    /// </summary>
    public void Flush()
    {
        Interlocked.Exchange(ref _pending, 0);
        IModuleIoHandle? doorbell;
        lock (DeliverLock)
        {
            if (_closed)
            {
                return;
            }

            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref *(int*)(_base + SleepingOffset)) == 0)
            {
                return;
            }

            doorbell = _doorbell;
        }

        _ = doorbell?.Signal();
    }

    /// <summary>Signals the receive doorbell whatever word 148 says (a close, an abort).</summary>
    public void Wake()
    {
        IModuleIoHandle? doorbell = Volatile.Read(ref _doorbell);
        _ = doorbell?.Signal();
    }

    /// <summary>Sets or clears bits of word 144; the caller holds the owner's lock or <see cref="DeliverLock"/>.</summary>
    public void SetFlags(int bits, bool on)
    {
        ref int word = ref *(int*)(_base + FlagsOffset);
        if (on)
        {
            Interlocked.Or(ref word, bits);
        }
        else
        {
            Interlocked.And(ref word, ~bits);
        }
    }

    /// <summary>Words 152 and 160: the interface's state and MAC, as the switch sees them.</summary>
    public void PublishState(bool active, bool promiscuous, bool macSet, ulong mac)
    {
        lock (DeliverLock)
        {
            if (_closed)
            {
                return;
            }

            Volatile.Write(ref *(int*)(_base + StateOffset), (int)((active ? IntNetBuffer.InterfaceActive : 0) | (promiscuous ? IntNetBuffer.InterfacePromiscuous : 0) | (macSet ? IntNetBuffer.InterfaceMacSet : 0)));
            Mac.Write(mac, new Span<byte>(_base + MacOffset, 6));
        }
    }

    /// <summary>Sets the bad-frames counter (offset 136) and publishes it.</summary>
    public void CountBad(ulong bad)
    {
        lock (DeliverLock)
        {
            _bad = bad;
            if (!_closed)
            {
                PublishLocked();
            }
        }
    }

    /// <summary>
    /// Marks the buffer closed (word 144 bit 1), wakes the client, and unpins and drops the lease:
    /// nothing touches the memory afterwards. The caller makes sure no reader of the send ring runs.
    /// </summary>
    public void Close()
    {
        IModuleIoHandle? doorbell;
        lock (DeliverLock)
        {
            if (_closed)
            {
                return;
            }

            SetFlags(Closed, on: true);
            _closed = true;
            doorbell = _doorbell;
            _doorbell = null;
        }

        _ = doorbell?.Signal();
        doorbell?.Dispose();
        _writer.Dispose();
        _pin.Dispose();
        _lease.Dispose();
    }

    /// <summary>The same as <see cref="Close"/>.</summary>
    public void Dispose() => Close();

    private void PublishLocked() =>
        IntNetBuffer.PublishStatistics(new Span<byte>(_base, _length), new BufferStatistics(0, 0, _lost, _bad));

    /// <summary>A u32 of the buffer, read once (little-endian, as everything in it).</summary>
    public uint ReadWord(int offset) => BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(_base + offset, 4));
}
