using SupHost.Abi;
using SupHost.IntNet.Format;

namespace SupHost.IntNet.Internal;

/// <summary>
/// A port another module drives (a NetAdp TAP: kind "tap"), connected through
/// <see cref="INetworkPorts"/>: the switch hands it frames through the driver's
/// <see cref="ITrunkPort"/> (host direction), the driver delivers through this object's
/// <see cref="ISwitchPort"/>. Calls into the driver are counted, so that a disconnect from either
/// side waits for them and none follows it.
/// </summary>
internal sealed class DriverPort : Port, ISwitchPort
{
    private readonly Action<DriverPort> _closed;
    private ITrunkPort? _driver;
    private int _calls;
    private int _disconnected;
    private uint _gsoTypes;

    public DriverPort(uint id, Network network, string kind, string device, ITrunkPort driver, Action<DriverPort> closed)
        : base(id, network)
    {
        Kind = kind;
        Device = device;
        _driver = driver;
        _closed = closed;
    }

    public override string Kind { get; }

    /// <summary>What the driver says the port stands for ("suphost0 in netns red").</summary>
    public string Device { get; }

    /// <summary>Whether it takes any GSO type whole (the types: <see cref="AcceptsGso"/>).</summary>
    public override bool Gso => Volatile.Read(ref _gsoTypes) != 0;

    public uint GsoTypes => Volatile.Read(ref _gsoTypes);

    public bool IsDisconnected => Volatile.Read(ref _disconnected) != 0;

    public override bool AcceptsGso(GsoType type) => (Volatile.Read(ref _gsoTypes) & (1u << ((int)type & 31))) != 0;

    public override bool Deliver(ReadOnlySpan<byte> frame, FrameType type, List<SharedBuffer> touched)
    {
        ITrunkPort? driver = Enter();
        if (driver is null)
        {
            return false;
        }

        try
        {
            if (driver.Transmit(frame, type == FrameType.Gso ? TrunkFrameType.Gso : TrunkFrameType.Frame, TrunkDirection.Host) == 0)
            {
                Counters.Out(frame.Length);
                return true;
            }

            Counters.CountLost();
            return false;
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>Tells the driver it is connected (after it was added to its network).</summary>
    public void Start()
    {
        ITrunkPort? driver = Enter();
        if (driver is null)
        {
            return;
        }

        try
        {
            _ = driver.SetState(TrunkState.Active);
        }
        finally
        {
            Leave();
        }
    }

    public SwitchDecision PreReceive(ReadOnlySpan<byte> headers, TrunkDirection source) =>
        IsDisconnected || IsClosed ? SwitchDecision.Drop : SwitchDecision.BadContext;

    public bool Receive(ReadOnlySpan<byte> frame, TrunkFrameType type, TrunkDirection source)
    {
        if (IsDisconnected || IsClosed || Network.Destroyed || source != TrunkDirection.Host || type is not (TrunkFrameType.Frame or TrunkFrameType.Gso))
        {
            return false;
        }

        Counters.In(frame.Length);
        SwitchContext context = Network.Contexts.Rent();
        try
        {
            if (!Network.Switch(this, TrunkDirection.None, frame, type == TrunkFrameType.Gso ? FrameType.Gso : FrameType.Frame, context, stable: true))
            {
                Counters.CountBad();
                return false;
            }

            return true;
        }
        finally
        {
            // Returning flushes: the receive doorbells this frame made due are rung.
            Network.Contexts.Return(context);
        }
    }

    public void ReportMacAddress(ReadOnlySpan<byte> mac)
    {
        if (mac.Length >= 6)
        {
            SetMac(IntNet.Mac.Read(mac), set: false);
        }
    }

    public void ReportPromiscuousMode(bool promiscuous) => SetPromiscuous(promiscuous, Network.PromiscuousClientsAllowed);

    public void ReportGsoCapabilities(uint gsoTypes, TrunkDirection destination)
    {
        if ((destination & TrunkDirection.Host) != TrunkDirection.None)
        {
            // Only the types the switch can describe (docs/gso.md: 1 to 4).
            Volatile.Write(ref _gsoTypes, gsoTypes & 0b1_1110);
        }
    }

    /// <summary>The driver ends the connection: no call into it after this returns; the port leaves its network.</summary>
    public void Disconnect(ITrunkPort trunk)
    {
        if (!ReferenceEquals(Volatile.Read(ref _driver), trunk) || Interlocked.Exchange(ref _disconnected, 1) != 0)
        {
            return;
        }

        MarkClosed();
        WaitForCalls();
        Volatile.Write(ref _driver, null);
        _closed(this);
    }

    /// <summary>The switch ends the connection (the network goes, or IntNet unloads): the driver is told and forgotten.</summary>
    public void DisconnectFromSwitch()
    {
        if (Interlocked.Exchange(ref _disconnected, 1) != 0)
        {
            return;
        }

        MarkClosed();
        WaitForCalls();
        ITrunkPort? driver = Interlocked.Exchange(ref _driver, null);
        if (driver is not null)
        {
            _ = driver.SetState(TrunkState.Disconnecting);
            driver.Disconnect();
        }
    }

    private ITrunkPort? Enter()
    {
        Interlocked.Increment(ref _calls);
        ITrunkPort? driver = IsDisconnected ? null : Volatile.Read(ref _driver);
        if (driver is null)
        {
            Interlocked.Decrement(ref _calls);
        }

        return driver;
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
