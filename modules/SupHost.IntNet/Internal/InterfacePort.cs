using SupHost.Abi;
using SupHost.IntNet.Format;

namespace SupHost.IntNet.Internal;

/// <summary>
/// A client's interface: its shared buffer (the receive ring the switch writes, the send ring it
/// drains), its two doorbells, and the object that stands for it in the client's session.
/// </summary>
internal sealed unsafe class InterfacePort : Port, IDisposable
{
    private readonly SharedBuffer _buffer;
    private readonly RingReader _reader;
    private readonly Lock _drainLock = new();
    private IModuleIoHandle? _sendDoorbell;
    private bool _readerClosed;
    private ulong _refused;

    public InterfacePort(uint id, Network network, ISessionIdentity session, SharedBuffer buffer, IModuleIoHandle? sendDoorbell, OpenFlags policy)
        : base(id, network)
    {
        Session = session;
        _buffer = buffer;
        _reader = new RingReader(buffer.Base, buffer.Length, buffer.Layout.Send);
        _sendDoorbell = sendDoorbell;
        PromiscuousAllowed = (policy & OpenFlags.InterfacePromiscAllow) != OpenFlags.None;
        SeeTrunk = (policy & OpenFlags.InterfacePromiscSeeTrunk) != OpenFlags.None;
        Publish();
    }

    public override string Kind => "interface";

    /// <summary>
    /// Whether the interface takes GSO frames whole (the default: the client's reader sees the
    /// context); one opened with the no-GSO bit gets them cut into segments by the switch.
    /// </summary>
    public override bool Gso => TakesGso;

    public bool TakesGso { get; init; } = true;

    public ISessionIdentity Session { get; }

    public ulong ObjectHandle { get; set; }

    public ulong AllocationHandle { get; init; }

    public ulong ReceiveEvent { get; init; }

    public ulong SendEvent { get; init; }

    public SharedBuffer Buffer => _buffer;

    public IModuleIoHandle? SendDoorbell => Volatile.Read(ref _sendDoorbell);

    /// <summary>The worker that watches its send doorbell.</summary>
    public SwitchWorker? Worker { get; set; }

    public override bool Deliver(ReadOnlySpan<byte> frame, FrameType type, List<SharedBuffer> touched)
    {
        if (_buffer.Write(default, frame, type, touched))
        {
            Counters.Out(frame.Length);
            return true;
        }

        if (!_buffer.IsClosed)
        {
            Counters.CountLost();
        }

        return false;
    }

    /// <summary>
    /// Drains the send ring, one bounded pass (one ring's worth of entries), switching every FRAME
    /// and GSO entry; PADDING is skipped by the reader, bad entries counted. Word 144's Draining bit
    /// is set while it runs and cleared after; true when the ring is not empty after that (the
    /// caller drains again, and the bit stays set so that the client need not ring).
    /// </summary>
    public bool Drain(SwitchContext context)
    {
        lock (_drainLock)
        {
            if (_readerClosed)
            {
                return false;
            }

            _buffer.SetFlags(SharedBuffer.Draining, on: true);
            ulong badBefore = _reader.BadEntries;
            for (int budget = (_reader.Layout.DataSize / IntNetBuffer.Alignment) + 1; budget > 0; budget--)
            {
                RingStatus status = _reader.Peek(out FrameType type, out ReadOnlySpan<byte> frame);
                if (status != RingStatus.Success)
                {
                    break;
                }

                Counters.In(frame.Length);
                if (!Network.Switch(this, TrunkDirection.None, frame, type, context))
                {
                    _refused++;
                }

                _reader.Skip();
            }

            ulong bad = _reader.BadEntries - badBefore;
            if (bad != 0)
            {
                Counters.CountBad((long)bad);
                Network.Counters.CountBad((long)bad);
            }

            _buffer.CountBad(_reader.BadEntries + _refused);
            _buffer.SetFlags(SharedBuffer.Draining, on: false);
            Interlocked.MemoryBarrier();
            if (_reader.PendingBytes == 0)
            {
                return false;
            }

            _buffer.SetFlags(SharedBuffer.Draining, on: true);
            return true;
        }
    }

    /// <summary>Counts a GSO frame the switch refused as bad (REFERENCE.md §8: a bad GSO frame bumps the bad-frames counter).</summary>
    public void CountRefused() => Counters.CountBad();

    /// <summary>Ends the interface's data path: no drain runs after this returns; the buffer is closed and unpinned.</summary>
    public void Shutdown()
    {
        MarkClosed();
        lock (_drainLock)
        {
            _readerClosed = true;
            _reader.Dispose();
        }

        _buffer.Close();
        Interlocked.Exchange(ref _sendDoorbell, null)?.Dispose();
    }

    /// <summary>The same as <see cref="Shutdown"/>.</summary>
    public void Dispose() => Shutdown();

    protected override void Publish() => _buffer.PublishState(Active, Promiscuous, MacSet, Mac);
}
