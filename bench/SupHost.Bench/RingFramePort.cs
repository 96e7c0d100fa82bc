using System.Runtime.CompilerServices;
using SupHost.Client;
using SupHost.IntNet.Format;
using SupHost.Native;

namespace SupHost.Bench;

/// <summary>
/// The floor: one memfd holding an IntNet buffer whose two rings are the two directions (the
/// "receive ring" carries child to parent, the "send ring" parent to child, both of the receive
/// ring's default size), and an eventfd doorbell for each reader. A reader that finds its ring
/// empty announces that it sleeps (a word of the buffer's reserved area), looks again, and then
/// blocks on its eventfd; a writer rings after a commit only when the reader announced a sleep:
/// the protocol IntNet's interfaces use, without the switch in between.
/// </summary>
internal sealed unsafe class RingFramePort : IFramePort
{
    public const int RingSize = IntNetOpenOptions.DefaultReceiveRingSize;

    /// <summary>The sleep words: 168 for the parent (reader of the receive ring), 172 for the child.</summary>
    private const int ParentSleepsOffset = 168;
    private const int ChildSleepsOffset = 172;

    private readonly SafeFd _memory;
    private readonly MappedMemory _mapping;
    private readonly RingWriter _writer;
    private readonly RingReader _reader;
    private readonly SafeFd _myDoorbell;
    private readonly SafeFd _peerDoorbell;
    private readonly int _mySleeps;
    private readonly int _peerSleeps;
    private readonly byte* _base;

    private RingFramePort(SafeFd memory, SafeFd myDoorbell, SafeFd peerDoorbell, bool parent, bool initialize)
    {
        _memory = memory;
        _myDoorbell = myDoorbell;
        _peerDoorbell = peerDoorbell;
        BufferLayout layout = IntNetBuffer.Layout(RingSize, RingSize);
        _mapping = Libc.Map(memory, BufferBytes, Libc.PROT_READ | Libc.PROT_WRITE);
        if (initialize)
        {
            IntNetBuffer.Initialize(_mapping.AsSpan(), RingSize, RingSize);
        }

        _base = (byte*)_mapping.DangerousGetHandle();
        _writer = new RingWriter(_base, layout.Size, parent ? layout.Send : layout.Receive);
        _reader = new RingReader(_base, layout.Size, parent ? layout.Receive : layout.Send);
        _mySleeps = parent ? ParentSleepsOffset : ChildSleepsOffset;
        _peerSleeps = parent ? ChildSleepsOffset : ParentSleepsOffset;
    }

    public static int BufferBytes => (IntNetBuffer.RequiredSize(RingSize, RingSize) + 4095) & ~4095;

    /// <summary>The parent's side: makes the buffer and both doorbells; <see cref="Descriptors"/> go to the child.</summary>
    public static RingFramePort CreateParent()
    {
        SafeFd memory = Libc.CreateSharedMemory("suphost-bench-floor", BufferBytes);
        return new RingFramePort(memory, Libc.CreateEvent(), Libc.CreateEvent(), parent: true, initialize: true);
    }

    /// <summary>The child's side, over the descriptors the parent sent: memory, the child's doorbell, the parent's.</summary>
    public static RingFramePort AttachChild(SafeFd memory, SafeFd childDoorbell, SafeFd parentDoorbell) =>
        new(memory, childDoorbell, parentDoorbell, parent: false, initialize: false);

    /// <summary>Memory, the child's doorbell, the parent's doorbell (the parent's view).</summary>
    public SafeFd[] Descriptors => [_memory, _peerDoorbell, _myDoorbell];

    public void Send(ReadOnlySpan<byte> frame)
    {
        var spin = default(SpinWait);
        while (_writer.Write(frame) != RingStatus.Success)
        {
            // Full: the reader is behind; it rings nobody, so wait for room.
            spin.SpinOnce();
        }

        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref Word(_peerSleeps)) != 0)
        {
            Libc.SignalEvent(_peerDoorbell);
        }
    }

    public int Receive(Span<byte> destination)
    {
        while (true)
        {
            if (_reader.Read(destination, out int length, out _) == RingStatus.Success)
            {
                return length;
            }

            Volatile.Write(ref Word(_mySleeps), 1u);
            Interlocked.MemoryBarrier();
            if (_reader.Read(destination, out length, out _) == RingStatus.Success)
            {
                Volatile.Write(ref Word(_mySleeps), 0u);
                return length;
            }

            bool woken = Libc.WaitEvent(_myDoorbell, consume: true, 30_000);
            Volatile.Write(ref Word(_mySleeps), 0u);
            if (!woken)
            {
                throw new TimeoutException("no frame came through the floor's ring for 30 s");
            }
        }
    }

    public void Dispose()
    {
        _writer.Dispose();
        _reader.Dispose();
        _mapping.Dispose();
        _memory.Dispose();
        _myDoorbell.Dispose();
        _peerDoorbell.Dispose();
    }

    private ref uint Word(int offset) => ref Unsafe.AsRef<uint>(_base + offset);
}
