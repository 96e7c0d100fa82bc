using System.Threading.Channels;
using SupHost.Abi;

namespace SupHost.TestModules.Trunk;

/// <summary>One trunk: frames the switch transmits are queued and delivered back from the host end by the worker.</summary>
internal sealed class LoopTrunk(string name, ISwitchPort switchPort, TrunkModule owner) : ITrunkPort
{
    private readonly Channel<(byte[] Frame, TrunkFrameType Type)> _queue = Channel.CreateBounded<(byte[] Frame, TrunkFrameType Type)>(256);
    private readonly Lock _lock = new();
    private ISwitchPort? _switch = switchPort;
    private TrunkState _state = TrunkState.Inactive;
    private int _inFlight;
    private long _transmitted;

    public string Name { get; } = name;

    public TrunkState SetState(TrunkState state)
    {
        lock (_lock)
        {
            (TrunkState previous, _state) = (_state, state);
            return previous;
        }
    }

    public void NotifyMacAddress(ReadOnlySpan<byte> mac)
    {
    }

    public bool WaitForIdle(int timeoutMilliseconds) => SpinWait.SpinUntil(() => Volatile.Read(ref _inFlight) == 0, timeoutMilliseconds);

    public int Transmit(ReadOnlySpan<byte> frame, TrunkFrameType type, TrunkDirection destination)
    {
        if (Volatile.Read(ref _switch) is null)
        {
            return -21;
        }

        Interlocked.Increment(ref _transmitted);
        return _queue.Writer.TryWrite((frame.ToArray(), type)) ? 0 : -53;
    }

    /// <summary>The switch ends the connection: no call into it after this returns.</summary>
    public void Disconnect()
    {
        lock (_lock)
        {
            _state = TrunkState.Disconnecting;
            _switch = null;
        }

        _ = WaitForIdle(5000);
        owner.Forget(this);
    }

    /// <summary>The driver ends the connection (its module is unloading).</summary>
    public void DisconnectFromSwitch()
    {
        ISwitchPort? port;
        lock (_lock)
        {
            (port, _switch) = (_switch, null);
            _state = TrunkState.Disconnecting;
        }

        _ = WaitForIdle(5000);
        port?.Disconnect(this);
    }

    public bool Deliver(ReadOnlySpan<byte> frame, TrunkDirection source)
    {
        ISwitchPort? port;
        lock (_lock)
        {
            port = _state == TrunkState.Active ? _switch : null;
            if (port is not null)
            {
                _inFlight++;
            }
        }

        if (port is null)
        {
            return false;
        }

        try
        {
            return port.Receive(frame, TrunkFrameType.Frame, source);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public void Run(CancellationToken stop)
    {
        try
        {
            while (_queue.Reader.WaitToReadAsync(stop).AsTask().GetAwaiter().GetResult())
            {
                while (_queue.Reader.TryRead(out (byte[] Frame, TrunkFrameType Type) item))
                {
                    _ = Deliver(item.Frame, TrunkDirection.Host);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The module is unloading.
        }
    }

    public string Describe()
    {
        lock (_lock)
        {
            return $"{Name} {_state} {Interlocked.Read(ref _transmitted)} {(_switch is null ? "disconnected" : "connected")}";
        }
    }
}
