using SupHost.Abi;
using SupHost.IntNet.Format;

namespace SupHost.IntNet.Internal;

/// <summary>
/// The switch's end of a network's trunk (<see cref="ISwitchPort"/>), and its hold on the driver's
/// end (<see cref="ITrunkPort"/>). Calls into the driver are counted, so that a disconnect (from
/// either side) waits for them to end and no call follows it.
/// </summary>
internal sealed class TrunkConnection(Network network, TrunkType type, string name) : ISwitchPort
{
    private readonly Lock _stateLock = new();
    private ITrunkPort? _trunk;
    private int _calls;
    private volatile bool _disconnected;
    private volatile bool _active;
    private ulong _hostMac = IntNet.Mac.Dummy;
    private volatile bool _hostPromiscuous;
    private uint _gsoHost;
    private uint _gsoWire;

    public TrunkType Type { get; } = type;

    public string Name { get; } = name;

    public PortCounters Counters { get; } = new();

    public bool IsConnected => !_disconnected;

    public bool IsActive => _active && !_disconnected;

    public ulong HostMac => Volatile.Read(ref _hostMac);

    public bool HostPromiscuous => _hostPromiscuous;

    public uint GsoHost => Volatile.Read(ref _gsoHost);

    public uint GsoWire => Volatile.Read(ref _gsoWire);

    /// <summary>Takes the driver's end, once <see cref="ITrunkFactory.CreateAndConnect"/> returned it.</summary>
    public void Attach(ITrunkPort trunk) => Volatile.Write(ref _trunk, trunk);

    /// <summary>What the switch knows of the trunk under the network's policy <paramref name="flags"/>.</summary>
    public TrunkView View(OpenFlags flags)
    {
        if (!IsActive)
        {
            return TrunkView.None;
        }

        return new TrunkView(
            (flags & OpenFlags.TrunkHostEnabled) != OpenFlags.None,
            (flags & OpenFlags.TrunkWireEnabled) != OpenFlags.None,
            HostMac,
            _hostPromiscuous && (flags & OpenFlags.PromiscAllowTrunkHost) != OpenFlags.None,
            (flags & OpenFlags.TrunkWirePromiscMode) != OpenFlags.None && (flags & OpenFlags.PromiscAllowTrunkWire) != OpenFlags.None);
    }

    /// <summary>
    /// Makes the trunk active when the network has an active port, inactive when none (the
    /// original's intnetR0TrunkIfActivate). Called after a port's state changed; the state is read
    /// here, under the trunk's lock, not passed in: two calls racing (one port going inactive while
    /// another goes active) then end with the state of the later reading, which sees both changes.
    /// </summary>
    public void Refresh()
    {
        lock (_stateLock)
        {
            bool active = network.Ports.Any(p => p.Active && !p.IsClosed);
            if (_disconnected || _active == active)
            {
                return;
            }

            _active = active;
            ITrunkPort? trunk = Enter();
            if (trunk is null)
            {
                return;
            }

            try
            {
                trunk.SetState(active ? TrunkState.Active : TrunkState.Inactive);
            }
            finally
            {
                Leave();
            }
        }
    }

    public void NotifyMacAddress(ReadOnlySpan<byte> mac)
    {
        ITrunkPort? trunk = Enter();
        if (trunk is null)
        {
            return;
        }

        try
        {
            trunk.NotifyMacAddress(mac);
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// Sends a frame out of the trunk's ends. A GSO frame (in the switch's private copy: context,
    /// then frame) goes whole to an end that takes its type; for the other ends it is cut into
    /// ordinary frames in <paramref name="context"/>'s segment buffer, as the switch does for ports.
    /// </summary>
    public void Transmit(ReadOnlySpan<byte> frame, FrameType type, TrunkDirection ends, SwitchContext context)
    {
        ITrunkPort? trunk = Enter();
        if (trunk is null)
        {
            return;
        }

        try
        {
            if (type != FrameType.Gso)
            {
                Send(trunk, frame, TrunkFrameType.Frame, ends);
                return;
            }

            uint bit = 1u << (frame[0] & 31);
            TrunkDirection whole = ends;
            if ((GsoHost & bit) == 0)
            {
                whole &= ~TrunkDirection.Host;
            }

            if ((GsoWire & bit) == 0)
            {
                whole &= ~TrunkDirection.Wire;
            }

            if (whole != TrunkDirection.None)
            {
                Send(trunk, frame, TrunkFrameType.Gso, whole);
            }

            TrunkDirection cut = ends & ~whole;
            if (cut != TrunkDirection.None)
            {
                SendSegments(trunk, frame, cut, context);
            }
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>The switch ends the connection (its network goes, or the module unloads): no call into the driver after this returns.</summary>
    public void DisconnectFromSwitch()
    {
        ITrunkPort? trunk;
        lock (_stateLock)
        {
            if (_disconnected)
            {
                return;
            }

            _disconnected = true;
            WaitForCalls();
            trunk = Interlocked.Exchange(ref _trunk, null);
        }

        if (trunk is null)
        {
            return;
        }

        trunk.SetState(TrunkState.Disconnecting);
        trunk.Disconnect();
    }

    public SwitchDecision PreReceive(ReadOnlySpan<byte> headers, TrunkDirection source) =>
        IsActive && !network.Destroyed ? network.Decide(headers, source) : SwitchDecision.Drop;

    public bool Receive(ReadOnlySpan<byte> frame, TrunkFrameType type, TrunkDirection source)
    {
        if (!IsActive || network.Destroyed || source is not (TrunkDirection.Host or TrunkDirection.Wire) || type is not (TrunkFrameType.Frame or TrunkFrameType.Gso))
        {
            return false;
        }

        Counters.In(frame.Length);
        SwitchContext context = network.Contexts.Rent();
        try
        {
            if (!network.Switch(null, source, frame, type == TrunkFrameType.Gso ? FrameType.Gso : FrameType.Frame, context, stable: true))
            {
                Counters.CountBad();
                return false;
            }

            return true;
        }
        finally
        {
            network.Contexts.Return(context);
        }
    }

    public void ReportMacAddress(ReadOnlySpan<byte> mac)
    {
        if (mac.Length >= 6)
        {
            Volatile.Write(ref _hostMac, IntNet.Mac.Read(mac));
        }
    }

    public void ReportPromiscuousMode(bool promiscuous) => _hostPromiscuous = promiscuous;

    public void ReportGsoCapabilities(uint gsoTypes, TrunkDirection destination)
    {
        if ((destination & TrunkDirection.Host) != TrunkDirection.None)
        {
            Volatile.Write(ref _gsoHost, gsoTypes);
        }

        if ((destination & TrunkDirection.Wire) != TrunkDirection.None)
        {
            Volatile.Write(ref _gsoWire, gsoTypes);
        }
    }

    /// <summary>The driver ends the connection: stop calling it, wait for the calls into it, drop it. The network stays, without a trunk.</summary>
    public void Disconnect(ITrunkPort trunk)
    {
        _disconnected = true;
        WaitForCalls();
        Interlocked.CompareExchange(ref _trunk, null, trunk);
        if (ReferenceEquals(network.Trunk, this))
        {
            network.Trunk = null;
        }
    }

    private void Send(ITrunkPort trunk, ReadOnlySpan<byte> frame, TrunkFrameType type, TrunkDirection ends)
    {
        if (trunk.Transmit(frame, type, ends) == 0)
        {
            Counters.Out(frame.Length);
        }
        else
        {
            Counters.CountLost();
        }
    }

    /// <summary>Cuts a validated GSO entry (the switch's copy) into ordinary frames for <paramref name="ends"/>, one segment at a time.</summary>
    private void SendSegments(ITrunkPort trunk, ReadOnlySpan<byte> entry, TrunkDirection ends, SwitchContext context)
    {
        GsoContext gso = GsoContext.Read(entry);
        if (!GsoSegmenter.TryCreate(gso, entry[GsoContext.Size..], out GsoSegmenter segmenter))
        {
            // Validated already, from the same private copy: cannot happen; count it rather than trust it.
            Counters.CountLost();
            return;
        }

        Span<byte> segment = context.Segment;
        for (int i = 0; i < segmenter.SegmentCount; i++)
        {
            int length = segmenter.WriteSegment(i, segment);
            Send(trunk, segment[..length], TrunkFrameType.Frame, ends);
        }
    }

    public string State => _disconnected ? "disconnected" : _active ? "active" : "inactive";

    private ITrunkPort? Enter()
    {
        Interlocked.Increment(ref _calls);
        ITrunkPort? trunk = _disconnected ? null : Volatile.Read(ref _trunk);
        if (trunk is null)
        {
            Interlocked.Decrement(ref _calls);
        }

        return trunk;
    }

    private void Leave() => Interlocked.Decrement(ref _calls);

    /// <summary>Calls into the driver never block (ITrunkPort's contract), so this wait is short.</summary>
    private void WaitForCalls()
    {
        var spin = default(SpinWait);
        long deadline = Environment.TickCount64 + 5000;
        while (Volatile.Read(ref _calls) != 0 && Environment.TickCount64 < deadline)
        {
            spin.SpinOnce();
        }
    }
}
