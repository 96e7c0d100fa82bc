using SupHost.Abi;
using SupHost.IntNet.Format;

namespace SupHost.NetFlt;

/// <summary>
/// One bridged host interface: an AF_PACKET socket bound to it (PACKET_VNET_HDR; a promiscuous
/// membership unless the network shares the host's MAC on the wire, ended, and the interface's
/// promiscuity restored, when the socket closes) as a network's trunk wire end
/// (<see cref="ITrunkPort"/>). What the socket receives goes to the switch from the wire; what the
/// switch sends to the wire is written to the socket, which the kernel sends out of the interface.
/// The host end is not served (docs/networking.md says why).
/// </summary>
internal sealed class Filter : ITrunkPort, IDisposable
{
    public const int MaxFrame = VnetDeviceFrame.MaxFrame;
    public const uint GsoTypes = (1u << (int)GsoType.IPv4Tcp) | (1u << (int)GsoType.IPv6Tcp);
    private const int VnetHeader = VirtioNetHeader.Size;
    private readonly IModuleIoHandle _socket;
    private readonly Action<Filter> _gone;
    private readonly Lock _transmitLock = new();
    private readonly byte[] _head = new byte[VnetDeviceFrame.HeadBufferSize];
    private ISwitchPort? _switch;
    private int _switchCalls;
    private volatile TrunkState _state = TrunkState.Inactive;
    private volatile bool _closed;
    private long _framesIn;
    private long _framesOut;
    private long _lost;
    private long _bad;

    public Filter(ulong id, string trunkName, bool promiscuous, IModuleIoHandle socket, ISwitchPort switchPort, Action<Filter> gone)
    {
        Id = id;
        Name = trunkName;
        Promiscuous = promiscuous;
        _socket = socket;
        _switch = switchPort;
        _gone = gone;
    }

    public ulong Id { get; }

    /// <inheritdoc/>
    public string Name { get; }

    public bool Promiscuous { get; }

    public IModuleIoHandle Socket => _socket;

    public long FramesIn => Interlocked.Read(ref _framesIn);

    public long FramesOut => Interlocked.Read(ref _framesOut);

    public long Lost => Interlocked.Read(ref _lost);

    public long Bad => Interlocked.Read(ref _bad);

    public TrunkState State => _state;

    /// <summary>Reads up to <paramref name="budget"/> frames (on the reader) and delivers them from the wire; -1 when the socket closed.</summary>
    public int ReadBurst(byte[] buffer, int budget)
    {
        for (int i = 0; i < budget; i++)
        {
            if (_closed)
            {
                return -1;
            }

            int read = _socket.Read(buffer.AsSpan(VnetDeviceFrame.ReadOffset, VnetHeader + MaxFrame));
            if (read == -53)
            {
                return i;
            }

            if (read < 0)
            {
                return -1;
            }

            switch (VnetDeviceFrame.FromDevice(buffer, read, out int start, out int length))
            {
                case VirtioNetHeaderConversion.Plain:
                    Deliver(buffer.AsSpan(start, length), TrunkFrameType.Frame);
                    break;
                case VirtioNetHeaderConversion.Gso:
                    Deliver(buffer.AsSpan(start, length), TrunkFrameType.Gso);
                    break;
                default:
                    Interlocked.Increment(ref _bad);
                    break;
            }
        }

        return budget;
    }

    /// <inheritdoc/>
    public TrunkState SetState(TrunkState state)
    {
        TrunkState previous = _state;
        if (state is TrunkState.Active or TrunkState.Inactive or TrunkState.Disconnecting)
        {
            _state = state;
        }

        return previous;
    }

    /// <inheritdoc/>
    public void NotifyMacAddress(ReadOnlySpan<byte> mac)
    {
        // The socket sends frames with their own source addresses; nothing to program.
    }

    /// <inheritdoc/>
    public bool WaitForIdle(int timeoutMilliseconds) => WaitForSwitchCalls(timeoutMilliseconds);

    /// <inheritdoc/>
    public int Transmit(ReadOnlySpan<byte> frame, TrunkFrameType type, TrunkDirection destination)
    {
        if ((destination & TrunkDirection.Wire) == TrunkDirection.None)
        {
            // The host end is not served: a packet socket cannot hand frames to the host's stack.
            return 0;
        }

        if (_closed)
        {
            return -21;
        }

        lock (_transmitLock)
        {
            // One gather write: the virtio_net_hdr (and a GSO frame's rewritten header block) from
            // the filter's head buffer, the rest of the frame from where the switch has it.
            int head = VnetDeviceFrame.ToDeviceHead(frame, type == TrunkFrameType.Gso, _head, out int bodyStart);
            if (head < 0 || type is not (TrunkFrameType.Frame or TrunkFrameType.Gso))
            {
                Interlocked.Increment(ref _lost);
                return -2;
            }

            int written = _socket.Write(_head.AsSpan(0, head), frame[bodyStart..]);
            if (written < 0)
            {
                Interlocked.Increment(ref _lost);
                return written;
            }

            Interlocked.Increment(ref _framesOut);
            return 0;
        }
    }

    /// <summary>The switch ends the connection (the trunk detached, the network gone, IntNet unloading): the socket closes, its promiscuous membership with it.</summary>
    public void Disconnect()
    {
        if (Interlocked.Exchange(ref _switch, null) is null)
        {
            return;
        }

        WaitForSwitchCalls(5000);
        _closed = true;
        _socket.Dispose();
        _gone(this);
    }

    /// <summary>Disconnects from the switch (the module unloads) and closes the socket: its promiscuous membership ends.</summary>
    public void Dispose()
    {
        ISwitchPort? switchPort = Interlocked.Exchange(ref _switch, null);
        if (switchPort is not null)
        {
            WaitForSwitchCalls(5000);
            switchPort.Disconnect(this);
        }

        _closed = true;
        _socket.Dispose();
    }

    private void Deliver(ReadOnlySpan<byte> frame, TrunkFrameType type)
    {
        Interlocked.Increment(ref _switchCalls);
        try
        {
            ISwitchPort? switchPort = Volatile.Read(ref _switch);
            if (switchPort is null || _state != TrunkState.Active)
            {
                return;
            }

            if (switchPort.Receive(frame, type, TrunkDirection.Wire))
            {
                Interlocked.Increment(ref _framesIn);
            }
            else
            {
                Interlocked.Increment(ref _bad);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _switchCalls);
        }
    }

    private bool WaitForSwitchCalls(int timeoutMilliseconds)
    {
        var spin = default(SpinWait);
        long deadline = Environment.TickCount64 + Math.Max(0, timeoutMilliseconds);
        while (Volatile.Read(ref _switchCalls) != 0)
        {
            if (Environment.TickCount64 >= deadline)
            {
                return false;
            }

            spin.SpinOnce();
        }

        return true;
    }
}
