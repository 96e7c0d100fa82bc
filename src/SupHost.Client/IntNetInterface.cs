using System.Net.NetworkInformation;
using SupHost.IntNet.Format;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Client;

/// <summary>
/// An interface on an IntNet network (the original's INTNETIF as DrvIntNet drives it): a shared
/// buffer with a send ring and a receive ring, mapped here and in the switch, and an eventfd
/// doorbell each way. Frames never cross the control socket: a send writes the send ring and
/// rings the send doorbell only when the switch is not already draining (no system call while it
/// is awake); a receive reads the receive ring and sleeps on the receive doorbell only when it is
/// empty, announcing the sleep first so that no wake-up is lost (docs/intnet.md).
/// </summary>
/// <remarks>
/// Each ring has one producer and one consumer: sends are serialised by a lock, and one receive,
/// wait or asynchronous receive at a time may run (a second one at the same time throws
/// <see cref="InvalidOperationException"/>); sending and receiving may run on two threads at once.
/// <see cref="Dispose"/> closes the interface in the switch; a wait running then returns
/// <see cref="SupStatus.ObjectDying"/>, and the mapping goes when the last operation leaves it.
/// </remarks>
public sealed class IntNetInterface : IDisposable
{
    private static readonly TimeSpan DefaultSendTimeout = TimeSpan.FromSeconds(5);

    private readonly IntNetModule? _module;
    private readonly IntNetMapping _mapping;
    private readonly DoorbellReceiver _receiver;
    private readonly RingWriter _writer;
    private readonly SafeFd _receiveDoorbell;
    private readonly SafeFd _sendDoorbell;
    private readonly Lock _sendGate = new();
    private int _receiving;
    private int _disposed;
    private long _sendDoorbells;

    private unsafe IntNetInterface(IntNetModule? module, string network, in IntNetOpenReply reply, IntNetMapping mapping, SafeFd receiveDoorbell, SafeFd sendDoorbell)
    {
        _module = module;
        Network = network;
        Handle = reply.Handle;
        Created = reply.Created;
        AllocationHandle = reply.Allocation;
        ReceiveDoorbellHandle = reply.ReceiveDoorbell;
        SendDoorbellHandle = reply.SendDoorbell;
        _mapping = mapping;
        _receiveDoorbell = receiveDoorbell;
        _sendDoorbell = sendDoorbell;
        _receiver = new DoorbellReceiver(mapping, receiveDoorbell);
        _writer = new RingWriter(mapping.Base, mapping.Length, mapping.Layout.Send);
    }

    /// <summary>The interface's handle in the caller's session (an object of type intnet-interface).</summary>
    public ulong Handle { get; }

    /// <summary>The network's name.</summary>
    public string Network { get; }

    /// <summary>Whether this open created the network (false: it joined one).</summary>
    public bool Created { get; }

    /// <summary>The buffer's allocation handle in the caller's session (listed by <c>supctl memory</c>).</summary>
    public ulong AllocationHandle { get; }

    /// <summary>The receive doorbell's event handle (switch to client).</summary>
    public ulong ReceiveDoorbellHandle { get; }

    /// <summary>The send doorbell's event handle (client to switch).</summary>
    public ulong SendDoorbellHandle { get; }

    /// <summary>The buffer's size, header and both rings (cbBuf).</summary>
    public int BufferSize => _mapping.Layout.Size;

    /// <summary>The receive ring's data size.</summary>
    public int ReceiveRingSize => _mapping.Layout.Receive.DataSize;

    /// <summary>The send ring's data size.</summary>
    public int SendRingSize => _mapping.Layout.Send.DataSize;

    /// <summary>
    /// The largest frame the send ring can ever take: align8(n) + 8 bytes must stay below the ring's
    /// size. A frame up to half the ring fits wherever the offsets stand; a larger one only while
    /// they are far enough from the end (docs/intnet.md, "Space").
    /// </summary>
    public int MaxFrameSize => Math.Min(IntNetBuffer.MaxFrameSize, SendRingSize - 2 * IntNetBuffer.FrameHeaderSize);

    /// <summary>How long <see cref="Send(ReadOnlySpan{byte})"/> waits for room in a full send ring before it gives up (default 5 s).</summary>
    public TimeSpan SendTimeout { get; set; } = DefaultSendTimeout;

    /// <summary>The interface's MAC as the switch publishes it (learned from the first frame or set); ff:ff:ff:ff:ff:ff while it has none.</summary>
    public unsafe PhysicalAddress MacAddress
    {
        get
        {
            _mapping.Enter(this);
            try
            {
                return new PhysicalAddress(new ReadOnlySpan<byte>(_mapping.Base + IntNetWire.MacOffset, 6).ToArray());
            }
            finally
            {
                _mapping.Leave();
            }
        }
    }

    /// <summary>The switch says the interface is active.</summary>
    public bool IsActive => (InterfaceState & IntNetWire.StateActive) != 0;

    /// <summary>The switch says the interface is promiscuous (effective: requested and allowed by policy).</summary>
    public bool IsPromiscuous => (InterfaceState & IntNetWire.StatePromiscuous) != 0;

    /// <summary>The switch says the MAC was set (and is no longer learned).</summary>
    public bool IsMacSet => (InterfaceState & IntNetWire.StateMacSet) != 0;

    /// <summary>The interface was closed: by <see cref="Dispose"/>, or by the switch (Close, its network's deletion).</summary>
    public bool IsClosed => _disposed != 0 || (SwitchState & IntNetWire.Closed) != 0;

    /// <summary>The counters of this side and those the switch published in the buffer.</summary>
    public IntNetCounters Counters
    {
        get
        {
            _mapping.Enter(this);
            try
            {
                BufferStatistics shared = _mapping.Statistics;
                return new IntNetCounters
                {
                    FramesSent = _writer.FramesWritten,
                    BytesSent = _writer.BytesWritten,
                    SendOverflows = _writer.Overflows,
                    SendDoorbells = (ulong)Interlocked.Read(ref _sendDoorbells),
                    FramesReceived = _receiver.Reader.FramesRead,
                    BytesReceived = _receiver.Reader.BytesRead,
                    BadEntries = _receiver.Reader.BadEntries,
                    ReceiveSleeps = (ulong)_receiver.Sleeps,
                    Lost = shared.Lost,
                    BadFrames = shared.BadFrames,
                    YieldsOk = shared.YieldsOk,
                    YieldsNotOk = shared.YieldsNotOk,
                };
            }
            finally
            {
                _mapping.Leave();
            }
        }
    }

    private uint SwitchState => _disposed != 0 ? IntNetWire.Closed : _mapping.ReadWord(IntNetWire.SwitchStateOffset);

    private uint InterfaceState
    {
        get
        {
            _mapping.Enter(this);
            try
            {
                return _mapping.ReadWord(IntNetWire.InterfaceStateOffset);
            }
            finally
            {
                _mapping.Leave();
            }
        }
    }

    /// <summary>
    /// Sends one frame (an Ethernet frame of at least 14 bytes, or the switch drops it). When the
    /// send ring is full it kicks the switch (the Send call) and waits up to
    /// <see cref="SendTimeout"/> for room.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The frame is empty or larger than <see cref="MaxFrameSize"/>.</exception>
    /// <exception cref="SupException">
    /// <see cref="SupStatus.BufferOverflow"/>: no room within the timeout; <see cref="SupStatus.ObjectDying"/>:
    /// the interface is closed; <see cref="SupStatus.ProtocolError"/>: the ring's read offset is invalid.
    /// </exception>
    public void Send(ReadOnlySpan<byte> frame) => SendCore([], frame, FrameType.Frame);

    /// <summary>
    /// Sends a GSO super-frame: <paramref name="context"/> is the 8-byte GSO context (the original's
    /// PDMNETWORKGSO: type, header sizes, maximum segment), <paramref name="frame"/> the headers and the
    /// payload. The switch hands it whole to receivers that take GSO and segments it for the others.
    /// </summary>
    /// <exception cref="ArgumentException">The context is not 8 bytes.</exception>
    public void SendGso(ReadOnlySpan<byte> context, ReadOnlySpan<byte> frame)
    {
        if (context.Length != 8)
        {
            throw new ArgumentException($"a GSO context is 8 bytes, not {context.Length}", nameof(context));
        }

        SendCore(context, frame, FrameType.Gso);
    }

    /// <summary>As <see cref="SendGso(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>, with the context as a <see cref="GsoContext"/> (not validated here: the switch refuses and counts a bad one).</summary>
    public void SendGso(GsoContext context, ReadOnlySpan<byte> frame)
    {
        Span<byte> bytes = stackalloc byte[GsoContext.Size];
        context.Write(bytes);
        SendGso(bytes, frame);
    }

    /// <summary>
    /// Sends several frames and rings the doorbell once, after the last (or when the ring fills in
    /// between, before kicking the switch to make room).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A frame is empty or larger than <see cref="MaxFrameSize"/>; the frames before it were sent.</exception>
    /// <exception cref="SupException">As <see cref="Send(ReadOnlySpan{byte})"/>.</exception>
    public void Send(ReadOnlySpan<ReadOnlyMemory<byte>> frames)
    {
        EnterSend();
        try
        {
            bool pending = false;
            try
            {
                foreach (ReadOnlyMemory<byte> frame in frames)
                {
                    CheckSize(frame.Length);
                    if (Write([], frame.Span, FrameType.Frame))
                    {
                        pending = true;
                        continue;
                    }

                    if (pending)
                    {
                        RingSendDoorbell();
                        pending = false;
                    }

                    WaitForRoom([], frame.Span, FrameType.Frame);
                }
            }
            finally
            {
                if (pending)
                {
                    RingSendDoorbell();
                }
            }
        }
        finally
        {
            LeaveSend();
        }
    }

    /// <summary>
    /// Sends one frame if the send ring has room for it now; never waits. Costs no system call when
    /// the switch is draining already.
    /// </summary>
    /// <returns>True when sent; false when the ring is full (counted in <see cref="IntNetCounters.SendOverflows"/>).</returns>
    /// <exception cref="ArgumentOutOfRangeException">The frame is empty or larger than <see cref="MaxFrameSize"/>.</exception>
    /// <exception cref="SupException"><see cref="SupStatus.ObjectDying"/>: the interface is closed; <see cref="SupStatus.ProtocolError"/>: the ring's read offset is invalid.</exception>
    public bool TrySend(ReadOnlySpan<byte> frame)
    {
        CheckSize(frame.Length);
        EnterSend();
        try
        {
            if (!Write([], frame, FrameType.Frame))
            {
                return false;
            }

            RingSendDoorbell();
            return true;
        }
        finally
        {
            LeaveSend();
        }
    }

    /// <summary>Receives the next frame if one is there; never waits and costs no system call.</summary>
    /// <returns>True with the frame's length in <paramref name="length"/>; false when the receive ring is empty.</returns>
    /// <exception cref="ArgumentException">The frame is longer than <paramref name="destination"/>: it stays pending, and the message says its length.</exception>
    /// <exception cref="InvalidOperationException">Another receive runs at the same time.</exception>
    public bool TryReceive(Span<byte> destination, out int length) => TryReceive(destination, out length, out _);

    /// <summary>As <see cref="TryReceive(Span{byte}, out int)"/>, telling a plain frame from a GSO super-frame (whose first 8 bytes are its context).</summary>
    public bool TryReceive(Span<byte> destination, out int length, out FrameType type)
    {
        EnterReceive();
        try
        {
            return TryReadCore(destination, out length, out type);
        }
        finally
        {
            LeaveReceive();
        }
    }

    /// <summary>Receives the next frame, waiting up to <paramref name="timeout"/> (<see cref="Timeout.InfiniteTimeSpan"/>: without limit) for one.</summary>
    /// <returns>The frame's length; 0 when the time ran out.</returns>
    /// <exception cref="ArgumentException">The frame is longer than <paramref name="destination"/> (it stays pending).</exception>
    /// <exception cref="SupException">
    /// <see cref="SupStatus.ObjectDying"/>: the interface was closed (frames still pending are
    /// received first), or its waits were aborted for good; <see cref="SupStatus.WaitCancelled"/>:
    /// <see cref="AbortWait"/> ended this wait.
    /// </exception>
    /// <exception cref="InvalidOperationException">Another receive runs at the same time.</exception>
    public int Receive(Span<byte> destination, TimeSpan timeout) => Receive(destination, timeout, out _);

    /// <summary>As <see cref="Receive(Span{byte}, TimeSpan)"/>, telling a plain frame from a GSO super-frame.</summary>
    public int Receive(Span<byte> destination, TimeSpan timeout, out FrameType type)
    {
        EnterReceive();
        try
        {
            return ReceiveCore(destination, Milliseconds(timeout), out type);
        }
        finally
        {
            LeaveReceive();
        }
    }

    /// <summary>
    /// Receives up to <c>destinations.Length</c> frames: waits up to <paramref name="timeout"/> for the
    /// first, then takes the ones already pending without waiting.
    /// </summary>
    /// <param name="destinations">Where the frames go, one each.</param>
    /// <param name="lengths">Receives each frame's length; at least as long as <paramref name="destinations"/>.</param>
    /// <param name="types">Receives each frame's type, or empty when the caller does not want them.</param>
    /// <param name="timeout">How long to wait for the first frame.</param>
    /// <returns>How many frames were received; 0 when the time ran out.</returns>
    /// <exception cref="ArgumentException">A span is too short, or the first frame is longer than its destination.</exception>
    /// <exception cref="SupException">As <see cref="Receive(Span{byte}, TimeSpan)"/>.</exception>
    public int Receive(ReadOnlySpan<Memory<byte>> destinations, Span<int> lengths, Span<FrameType> types, TimeSpan timeout)
    {
        if (lengths.Length < destinations.Length || (!types.IsEmpty && types.Length < destinations.Length))
        {
            throw new ArgumentException("lengths (and types, unless empty) must be at least as long as destinations", nameof(lengths));
        }

        if (destinations.IsEmpty)
        {
            return 0;
        }

        EnterReceive();
        try
        {
            lengths[0] = ReceiveCore(destinations[0].Span, Milliseconds(timeout), out FrameType first);
            if (lengths[0] == 0)
            {
                return 0;
            }

            if (!types.IsEmpty)
            {
                types[0] = first;
            }

            int count = 1;
            while (count < destinations.Length)
            {
                RingStatus status = _receiver.TryRead(destinations[count].Span, out int length, out FrameType type);
                if (status != RingStatus.Success)
                {
                    // Empty, or a frame too long for this destination: it stays pending for the next call.
                    break;
                }

                lengths[count] = length;
                if (!types.IsEmpty)
                {
                    types[count] = type;
                }

                count++;
            }

            return count;
        }
        finally
        {
            LeaveReceive();
        }
    }

    /// <summary>
    /// Receives the next frame without blocking a thread while it waits: completes at once when a
    /// frame is pending, else when one arrives. Cancelling the token ends the wait.
    /// </summary>
    /// <returns>The frame's length.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="SupException">As <see cref="Receive(Span{byte}, TimeSpan)"/>.</exception>
    /// <exception cref="InvalidOperationException">Another receive runs at the same time.</exception>
    public ValueTask<int> ReceiveAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        EnterReceive();
        bool handedOff = false;
        try
        {
            if (TryReadCore(destination.Span, out int length, out _))
            {
                return ValueTask.FromResult(length);
            }

            handedOff = true;
            return new ValueTask<int>(ReceiveSlowAsync(destination, cancellationToken));
        }
        finally
        {
            if (!handedOff)
            {
                LeaveReceive();
            }
        }
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMilliseconds"/> (-1: without limit, 0: a poll) until a
    /// frame is pending. Several deliveries before one wait make one success.
    /// </summary>
    /// <returns>
    /// <see cref="SupStatus.Success"/> (a frame is pending), <see cref="SupStatus.WaitTimedOut"/>,
    /// <see cref="SupStatus.ObjectDying"/> (the interface is closed, or its waits were aborted for
    /// good), or <see cref="SupStatus.WaitCancelled"/> (<see cref="AbortWait"/> ended this wait).
    /// </returns>
    /// <exception cref="InvalidOperationException">Another receive runs at the same time.</exception>
    public SupStatus Wait(int timeoutMilliseconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeoutMilliseconds, -1);
        if (_disposed != 0)
        {
            return SupStatus.ObjectDying;
        }

        EnterReceive();
        try
        {
            return _receiver.Wait(timeoutMilliseconds, CancellationToken.None);
        }
        finally
        {
            LeaveReceive();
        }
    }

    /// <summary>As <see cref="Wait(int)"/>, with a <see cref="TimeSpan"/> (<see cref="Timeout.InfiniteTimeSpan"/>: without limit).</summary>
    public SupStatus Wait(TimeSpan timeout) => Wait(Milliseconds(timeout));

    /// <summary>
    /// Ends the wait running now on this interface (it returns <see cref="SupStatus.WaitCancelled"/>),
    /// and with <paramref name="noMoreWaits"/> every later one too (<see cref="SupStatus.ObjectDying"/>),
    /// in this process and, through the switch, in any other that waits on the same interface.
    /// </summary>
    public void AbortWait(bool noMoreWaits = false)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        _receiver.Abort(noMoreWaits);
        _module?.Call("AbortWait", noMoreWaits ? 1u : 0u, Handle);
    }

    /// <summary>Makes the interface active (it receives and its frames are switched) or inactive; a new interface is inactive.</summary>
    public void SetActive(bool active) => Module().Call("SetActive", active ? 1u : 0u, Handle);

    /// <summary>Asks for promiscuous mode; the switch grants it only as the interface's and the network's policies allow (<see cref="IsPromiscuous"/>).</summary>
    public void SetPromiscuous(bool promiscuous) => Module().Call("SetPromiscuous", promiscuous ? 1u : 0u, Handle);

    /// <summary>Sets the interface's MAC; from then on the switch no longer learns it from the frames sent.</summary>
    /// <exception cref="ArgumentException">The address is not 6 bytes.</exception>
    public void SetMac(PhysicalAddress mac)
    {
        ArgumentNullException.ThrowIfNull(mac);
        byte[] bytes = mac.GetAddressBytes();
        if (bytes.Length != 6)
        {
            throw new ArgumentException($"an Ethernet MAC is 6 bytes, not {bytes.Length}", nameof(mac));
        }

        Module().Call("SetMac", 0, Handle, bytes, 0);
    }

    /// <summary>Asks the switch to drain the send ring now (the Send call); sends ring the doorbell on their own, so this is rarely needed.</summary>
    public void Kick()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_module is null)
        {
            Libc.SignalEvent(_sendDoorbell);
            Interlocked.Increment(ref _sendDoorbells);
            return;
        }

        _module.Call("Send", 0, Handle);
    }

    /// <summary>Closes the interface in the switch, ends the waits running on it and unmaps the buffer once no operation uses it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _receiver.Close();
        _module?.CloseQuietly("Close", Handle);
        _mapping.Dispose();
        _receiveDoorbell.Dispose();
        _sendDoorbell.Dispose();
    }

    /// <summary>Opens an interface through the switch (the Open call) and maps its buffer.</summary>
    internal static IntNetInterface Open(IntNetModule module, IntNetOpenOptions options)
    {
        byte[] request = IntNetWire.OpenRequest(options, persistent: false);
        SupReply reply = module.Call("Open", 0, 0, request, IntNetWire.OpenReplySize, out IReadOnlyList<SafeFd> received);
        ulong opened = 0;
        try
        {
            IntNetOpenReply fields = ReadOpenReply(reply.Payload);
            opened = fields.Handle;
            if (received.Count != 3)
            {
                throw new SupException(SupStatus.ProtocolError, $"intnet.Open replied with {received.Count} descriptors instead of 3 (buffer, receive doorbell, send doorbell)");
            }

            IntNetMapping mapping = IntNetMapping.Map(received[0], fields.BufferBytes);
            received[0].Dispose();
            return new IntNetInterface(module, options.Network, fields, mapping, received[1], received[2]);
        }
        catch
        {
            foreach (SafeFd fd in received)
            {
                fd.Dispose();
            }

            if (opened != 0)
            {
                module.CloseQuietly("Close", opened);
            }

            throw;
        }
    }

    /// <summary>
    /// An interface over a buffer and doorbells made elsewhere (a test playing the switch): the
    /// data path only, no switch calls (<see cref="Kick"/> rings the doorbell instead).
    /// </summary>
    internal static IntNetInterface Attach(SafeFd memory, uint bufferBytes, SafeFd receiveDoorbell, SafeFd sendDoorbell)
    {
        IntNetMapping mapping = IntNetMapping.Map(memory, bufferBytes);
        return new IntNetInterface(null, "(attached)", new IntNetOpenReply(0, false, bufferBytes, 0, 0, 0), mapping, receiveDoorbell, sendDoorbell);
    }

    private static int Milliseconds(TimeSpan timeout) =>
        timeout == Timeout.InfiniteTimeSpan ? -1 : (int)Math.Clamp(Math.Ceiling(timeout.TotalMilliseconds), 0, int.MaxValue);

    private IntNetModule Module()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return _module ?? throw new InvalidOperationException("this interface is not connected to a switch: it only moves frames");
    }

    private async Task<int> ReceiveSlowAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                SupStatus status = await Task.Run(() => _receiver.Wait(-1, cancellationToken), CancellationToken.None).ConfigureAwait(false);
                if (status == SupStatus.Success)
                {
                    if (TryReadCore(destination.Span, out int length, out _))
                    {
                        return length;
                    }

                    continue;
                }

                cancellationToken.ThrowIfCancellationRequested();
                throw WaitEnded(status);
            }
        }
        finally
        {
            LeaveReceive();
        }
    }

    private int ReceiveCore(Span<byte> destination, int timeoutMilliseconds, out FrameType type)
    {
        long deadline = Deadline.After(timeoutMilliseconds);
        while (true)
        {
            if (TryReadCore(destination, out int length, out type))
            {
                return length;
            }

            int left = Deadline.Left(deadline);
            SupStatus status = _receiver.Wait(left, CancellationToken.None);
            if (status == SupStatus.WaitTimedOut)
            {
                type = FrameType.Invalid;
                return 0;
            }

            if (status != SupStatus.Success)
            {
                throw WaitEnded(status);
            }
        }
    }

    private static SupException WaitEnded(SupStatus status) => status == SupStatus.WaitCancelled
        ? new SupException(status, "the wait was aborted (AbortWait)")
        : new SupException(status, "the interface is closed, or its waits were aborted for good");

    private bool TryReadCore(Span<byte> destination, out int length, out FrameType type)
    {
        RingStatus status = _receiver.TryRead(destination, out length, out type);
        if (status == RingStatus.DestinationTooSmall)
        {
            throw new ArgumentException($"the next frame is {length} bytes and the destination holds {destination.Length}; it stays pending", nameof(destination));
        }

        return status == RingStatus.Success;
    }

    private void SendCore(ReadOnlySpan<byte> context, ReadOnlySpan<byte> frame, FrameType type)
    {
        CheckSize(context.Length + frame.Length);
        EnterSend();
        try
        {
            if (Write(context, frame, type))
            {
                RingSendDoorbell();
                return;
            }

            WaitForRoom(context, frame, type);
        }
        finally
        {
            LeaveSend();
        }
    }

    /// <summary>The ring is full: kick the switch (it drains in the call), then retry until there is room or the timeout passes. Rings the doorbell once it fits.</summary>
    private void WaitForRoom(ReadOnlySpan<byte> context, ReadOnlySpan<byte> frame, FrameType type)
    {
        Kick();
        long deadline = Deadline.After((long)SendTimeout.TotalMilliseconds);
        var spin = default(SpinWait);
        while (!Write(context, frame, type))
        {
            if (Deadline.Passed(deadline))
            {
                throw new SupException(SupStatus.BufferOverflow, $"the send ring stayed full for {SendTimeout.TotalMilliseconds} ms: the switch is not draining it");
            }

            spin.SpinOnce();
        }

        RingSendDoorbell();
    }

    /// <summary>Writes and commits one entry; false when it does not fit.</summary>
    private bool Write(ReadOnlySpan<byte> context, ReadOnlySpan<byte> frame, FrameType type)
    {
        if ((SwitchState & IntNetWire.Closed) != 0)
        {
            throw new SupException(SupStatus.ObjectDying, "the interface is closed");
        }

        RingStatus status = _writer.Allocate(context.Length + frame.Length, type, out Span<byte> destination);
        if (status == RingStatus.Corrupt)
        {
            throw new SupException(SupStatus.ProtocolError, "the send ring's read offset is invalid: the switch's side of the ring is corrupt");
        }

        if (status != RingStatus.Success)
        {
            return false;
        }

        context.CopyTo(destination);
        frame.CopyTo(destination[context.Length..]);
        _writer.Commit();
        return true;
    }

    /// <summary>After a commit: full fence, then ring the send doorbell only if the switch is not draining (it looks again before it sleeps).</summary>
    private void RingSendDoorbell()
    {
        Interlocked.MemoryBarrier();
        if ((_mapping.ReadWord(IntNetWire.SwitchStateOffset) & IntNetWire.Draining) == 0)
        {
            Libc.SignalEvent(_sendDoorbell);
            Interlocked.Increment(ref _sendDoorbells);
        }
    }

    private void CheckSize(int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if (size > MaxFrameSize)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, $"the send ring of {SendRingSize} bytes takes frames of at most {MaxFrameSize} bytes");
        }
    }

    private void EnterSend()
    {
        _sendGate.Enter();
        try
        {
            _mapping.Enter(this);
        }
        catch
        {
            _sendGate.Exit();
            throw;
        }
    }

    private void LeaveSend()
    {
        _mapping.Leave();
        _sendGate.Exit();
    }

    private void EnterReceive()
    {
        if (Interlocked.Exchange(ref _receiving, 1) != 0)
        {
            throw new InvalidOperationException("another receive or wait runs on this interface: its receive ring has one consumer");
        }

        try
        {
            _mapping.Enter(this);
        }
        catch
        {
            Volatile.Write(ref _receiving, 0);
            throw;
        }
    }

    private void LeaveReceive()
    {
        _mapping.Leave();
        Volatile.Write(ref _receiving, 0);
    }

    /// <summary>The OpenReply (<see cref="IntNetOpenReply"/>); a short one is the module's protocol error.</summary>
    internal static IntNetOpenReply ReadOpenReply(ReadOnlySpan<byte> reply) => IntNetOpenReply.TryRead(reply)
        ?? throw new SupException(SupStatus.ProtocolError, $"intnet.Open replied with {reply.Length} bytes instead of {IntNetOpenReply.Size}");
}
