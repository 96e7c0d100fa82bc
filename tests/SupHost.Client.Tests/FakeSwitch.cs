using System.Runtime.CompilerServices;
using SupHost.IntNet.Format;
using SupHost.Native;

namespace SupHost.Client.Tests;

/// <summary>
/// Plays the switch's side of one interface buffer, as docs/intnet.md's protocol has it, over its
/// own mapping of the memfd (the client under test maps it a second time): it writes the receive
/// ring and rings the receive doorbell when word 148 asks; it drains the send ring with word 144's
/// Draining bit set, clears it, fences, looks again, and sleeps on the send doorbell.
/// </summary>
internal sealed unsafe class FakeSwitch : IDisposable
{
    public const int Draining = 1;
    public const int Closed = 2;
    public const int WaitsAborted = 4;

    private readonly MappedMemory _mapping;
    private readonly byte* _base;
    private long _receiveSignals;

    public FakeSwitch(int receiveSize, int sendSize)
    {
        int size = IntNetBuffer.RequiredSize(receiveSize, sendSize);
        int mapped = (size + 4095) / 4096 * 4096;
        Memory = Libc.CreateSharedMemory("fake-switch", mapped);
        _mapping = Libc.Map(Memory, mapped, Libc.PROT_READ | Libc.PROT_WRITE);
        _base = (byte*)_mapping.DangerousGetHandle();
        Layout = IntNetBuffer.Initialize(_mapping.AsSpan(), receiveSize, sendSize);
        Writer = new RingWriter(_base, mapped, Layout.Receive);
        Reader = new RingReader(_base, mapped, Layout.Send);
        ReceiveDoorbell = Libc.CreateEvent();
        SendDoorbell = Libc.CreateEvent();
    }

    public SafeFd Memory { get; }

    public BufferLayout Layout { get; }

    /// <summary>The switch's writer of the client's receive ring.</summary>
    public RingWriter Writer { get; }

    /// <summary>The switch's reader of the client's send ring.</summary>
    public RingReader Reader { get; }

    /// <summary>Switch to client.</summary>
    public SafeFd ReceiveDoorbell { get; }

    /// <summary>Client to switch.</summary>
    public SafeFd SendDoorbell { get; }

    /// <summary>Times a delivery rang the receive doorbell because word 148 said the client sleeps.</summary>
    public long ReceiveSignals => Interlocked.Read(ref _receiveSignals);

    /// <summary>Word 148: the client says it is (about to be) asleep.</summary>
    public bool ClientSleeping => Volatile.Read(ref Unsafe.AsRef<uint>(_base + 148)) != 0;

    public IntNetInterface Attach() =>
        IntNetInterface.Attach(Memory, (uint)Layout.Size, Libc.Duplicate(ReceiveDoorbell), Libc.Duplicate(SendDoorbell));

    public IntNetCapture AttachCapture(int snapLength) =>
        IntNetCapture.Attach(Memory, (uint)Layout.Size, Libc.Duplicate(ReceiveDoorbell), snapLength);

    public uint State => Volatile.Read(ref Unsafe.AsRef<uint>(_base + 144));

    public void SetState(uint bits) => Interlocked.Or(ref Unsafe.AsRef<uint>(_base + 144), bits);

    public void ClearState(uint bits) => Interlocked.And(ref Unsafe.AsRef<uint>(_base + 144), ~bits);

    /// <summary>Sets a state bit and rings the doorbell, as the switch does for Closed and WaitsAborted.</summary>
    public void SetStateAndSignal(uint bits)
    {
        SetState(bits);
        Libc.SignalEvent(ReceiveDoorbell);
    }

    public void SetLost(ulong lost) => IntNetBuffer.PublishStatistics(_mapping.AsSpan(), new BufferStatistics(0, 0, lost, 0));

    /// <summary>Writes one frame into the receive ring, then the delivery's doorbell rule; false when the ring is full.</summary>
    public bool Deliver(ReadOnlySpan<byte> frame, FrameType type = FrameType.Frame)
    {
        if (Writer.Write(frame, type) != RingStatus.Success)
        {
            return false;
        }

        SignalIfSleeping();
        return true;
    }

    /// <summary>After committing: full fence, then read word 148 and ring the receive doorbell only if the client sleeps.</summary>
    public void SignalIfSleeping()
    {
        Interlocked.MemoryBarrier();
        if (ClientSleeping)
        {
            Interlocked.Increment(ref _receiveSignals);
            Libc.SignalEvent(ReceiveDoorbell);
        }
    }

    /// <summary>
    /// The switch's drain loop: set Draining; take every frame; clear Draining; full fence; if the
    /// ring is not empty, go on; else sleep on the send doorbell. Ends when <paramref name="onFrame"/>
    /// returns false. A sleep that times out while frames are pending is a lost wake-up: counted.
    /// </summary>
    public DrainResult Drain(Func<FrameType, ReadOnlySpan<byte>, bool> onFrame, int sleepTimeoutMs, CancellationToken cancellationToken)
    {
        var result = new DrainResult();
        while (!cancellationToken.IsCancellationRequested)
        {
            SetState(Draining);
            bool done = false;
            while (Reader.Peek(out FrameType type, out ReadOnlySpan<byte> frame) == RingStatus.Success)
            {
                done = !onFrame(type, frame);
                Reader.Skip();
                if (done)
                {
                    break;
                }
            }

            ClearState(Draining);
            Interlocked.MemoryBarrier();
            if (done)
            {
                return result;
            }

            if (Reader.PendingBytes != 0)
            {
                continue;
            }

            result.Sleeps++;
            if (!Libc.WaitEvent(SendDoorbell, consume: true, sleepTimeoutMs) && Reader.PendingBytes != 0)
            {
                result.LostWakeUps++;
            }
        }

        return result;
    }

    public void Dispose()
    {
        Writer.Dispose();
        Reader.Dispose();
        _mapping.Dispose();
        Memory.Dispose();
        ReceiveDoorbell.Dispose();
        SendDoorbell.Dispose();
    }

    internal sealed class DrainResult
    {
        public long Sleeps { get; set; }

        public long LostWakeUps { get; set; }
    }
}
