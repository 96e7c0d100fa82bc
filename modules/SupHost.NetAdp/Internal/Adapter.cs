using System.Buffers.Binary;
using SupHost.Abi;
using SupHost.IntNet.Format;

namespace SupHost.NetAdp.Internal;

/// <summary>
/// A host-only adapter: a TAP (IFF_VNET_HDR, checksum and TSO offloads) in the daemon's or a named
/// network namespace, and its end of a connection to IntNet (<see cref="ITrunkPort"/>), as a port
/// or as a network's trunk. The TAP goes when the adapter is disposed (and, the descriptor being
/// the daemon's, when the daemon dies).
/// </summary>
/// <remarks>
/// Frames from the TAP: read on the module's worker into its buffer, the virtio_net_hdr turned into
/// a GSO context in place (the 8-byte context overwrites the header's last 8 bytes, right in front
/// of the frame), delivered to the switch. Frames to the TAP: one gather write of a virtio_net_hdr
/// made from the GSO context (or a zero one) and the frame where the switch has it; a GSO frame's
/// header block, which the device wants rewritten (lengths, checksums), goes from a copy in the
/// adapter's own head buffer, so the switch's frame is never written. A full queue loses the frame
/// (-53), counted. Nothing is allocated per frame.
/// </remarks>
internal sealed class Adapter : ITrunkPort, IDisposable
{
    /// <summary>The largest frame either way: an IP packet of 65,535 bytes, its Ethernet header and one VLAN tag, and a GSO header block of at most 255 bytes.</summary>
    public const int MaxFrame = VnetDeviceFrame.MaxFrame;

    /// <summary>What the switch takes whole from the TAP and gives it whole: TCP over IPv4 and IPv6 (bits 1 and 2 of docs/gso.md).</summary>
    public const uint GsoTypes = (1u << (int)GsoType.IPv4Tcp) | (1u << (int)GsoType.IPv6Tcp);

    private const int VnetHeader = VirtioNetHeader.Size;
    private readonly IModuleIoHandle _tap;
    private readonly Lock _transmitLock = new();
    private readonly byte[] _head = new byte[VnetDeviceFrame.HeadBufferSize];
    private readonly byte[] _reportedMac = new byte[6];
    private ISwitchPort? _switch;
    private int _switchCalls;
    private volatile AdapterRole _role;
    private volatile TrunkState _trunkState = TrunkState.Inactive;
    private volatile bool _closed;

    public Adapter(ulong id, int unit, string name, string? networkNamespace, byte[] mac, int mtu, IModuleIoHandle tap)
    {
        Id = id;
        Unit = unit;
        Name = name;
        Namespace = networkNamespace;
        Mac = mac;
        Mtu = mtu;
        _tap = tap;
        mac.CopyTo(_reportedMac, 0);
    }

    public ulong Id { get; }

    public int Unit { get; }

    public string Name { get; }

    public string? Namespace { get; }

    /// <summary>The address it was made with (the device's own may change later; the switch learns that from its frames).</summary>
    public byte[] Mac { get; }

    public int Mtu { get; }

    /// <summary>Whether its TAP is persistent: it stays as a device when the daemon stops (KeepAdapters, or asked for with keep).</summary>
    public bool Kept { get; init; }

    /// <summary>Whether keep was asked for this adapter itself (rather than by the module's KeepAdapters setting).</summary>
    public bool KeepAsked { get; init; }

    public IModuleIoHandle Tap => _tap;

    public AdapterRole Role => _role;

    /// <summary>The network it is a port of (null as a trunk or on none: a trunk's network is the one that named it).</summary>
    public string? Network { get; private set; }

    public AdapterCounters Counters { get; } = new();

    public string Device => Namespace is null ? Name : $"{Name} in netns {Namespace}";

    public bool IsAttached => Volatile.Read(ref _switch) is not null;

    /// <summary>Takes the switch's end (under the module's lock, the adapter on no network); false when it is on one.</summary>
    public bool Attach(ISwitchPort switchPort, AdapterRole role, string? network)
    {
        if (_closed || Interlocked.CompareExchange(ref _switch, switchPort, null) is not null)
        {
            return false;
        }

        _role = role;
        Network = network;
        _trunkState = role == AdapterRole.Port ? TrunkState.Active : TrunkState.Inactive;
        switchPort.ReportMacAddress(Mac);
        switchPort.ReportGsoCapabilities(GsoTypes, TrunkDirection.Host);
        switchPort.ReportPromiscuousMode(false);
        return true;
    }

    /// <summary>The adapter leaves its network (removed, or the module unloads): no call into the switch after this returns.</summary>
    public void Detach()
    {
        ISwitchPort? switchPort = Interlocked.Exchange(ref _switch, null);
        if (switchPort is null)
        {
            return;
        }

        WaitForSwitchCalls(5000);
        ClearRole();
        switchPort.Disconnect(this);
    }

    /// <summary>
    /// Reads up to <paramref name="budget"/> frames from the TAP (on the worker, into
    /// <paramref name="buffer"/>, <see cref="VnetDeviceFrame.ReadBufferSize"/> bytes) and delivers them.
    /// Returns how many it read; fewer than the budget means the TAP is empty; -1 when it is closed.
    /// </summary>
    public int ReadBurst(byte[] buffer, int budget)
    {
        for (int i = 0; i < budget; i++)
        {
            if (_closed)
            {
                return -1;
            }

            int read = _tap.Read(buffer.AsSpan(VnetDeviceFrame.ReadOffset, VnetHeader + MaxFrame));
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
                    Counters.CountBad();
                    break;
            }
        }

        return budget;
    }

    /// <inheritdoc/>
    public TrunkState SetState(TrunkState state)
    {
        TrunkState previous = _trunkState;
        if (state is TrunkState.Active or TrunkState.Inactive or TrunkState.Disconnecting)
        {
            _trunkState = state;
        }

        return previous;
    }

    /// <inheritdoc/>
    public void NotifyMacAddress(ReadOnlySpan<byte> mac)
    {
        // A TAP's address is its own: the network's interfaces keep theirs.
    }

    /// <inheritdoc/>
    public bool WaitForIdle(int timeoutMilliseconds) => WaitForSwitchCalls(timeoutMilliseconds);

    /// <inheritdoc/>
    public int Transmit(ReadOnlySpan<byte> frame, TrunkFrameType type, TrunkDirection destination)
    {
        if ((destination & TrunkDirection.Host) == TrunkDirection.None)
        {
            // A TAP has no wire end.
            return 0;
        }

        if (_closed)
        {
            return -21;
        }

        lock (_transmitLock)
        {
            bool gso = type == TrunkFrameType.Gso;
            int head = VnetDeviceFrame.ToDeviceHead(frame, gso, _head, out int bodyStart);
            if (head < 0 || type is not (TrunkFrameType.Frame or TrunkFrameType.Gso))
            {
                Counters.CountLost();
                return -2;
            }

            ReadOnlySpan<byte> body = frame[bodyStart..];
            int written = _tap.Write(_head.AsSpan(0, head), body);
            if (written < 0)
            {
                Counters.CountLost();
                return written;
            }

            Counters.Out(head - VnetHeader + body.Length, gso);
            return 0;
        }
    }

    /// <inheritdoc/>
    public void Disconnect()
    {
        if (Interlocked.Exchange(ref _switch, null) is null)
        {
            return;
        }

        WaitForSwitchCalls(5000);
        ClearRole();
    }

    /// <summary>Leaves the network and closes the TAP (the device goes).</summary>
    public void Dispose()
    {
        Detach();
        _closed = true;
        _tap.Dispose();
    }

    private void Deliver(ReadOnlySpan<byte> frame, TrunkFrameType type)
    {
        Interlocked.Increment(ref _switchCalls);
        try
        {
            ISwitchPort? switchPort = Volatile.Read(ref _switch);
            if (switchPort is null || _trunkState != TrunkState.Active)
            {
                Counters.CountUnattached();
                return;
            }

            // An address changed on the device (ip link set address) is reported from its first frame.
            ReadOnlySpan<byte> source = type == TrunkFrameType.Gso ? frame.Slice(GsoContext.Size + 6, 6) : frame.Slice(6, 6);
            if ((source[0] & 1) == 0 && !source.SequenceEqual(_reportedMac))
            {
                source.CopyTo(_reportedMac);
                switchPort.ReportMacAddress(source);
            }

            if (switchPort.Receive(frame, type, TrunkDirection.Host))
            {
                Counters.In(type == TrunkFrameType.Gso ? frame.Length - GsoContext.Size : frame.Length, type == TrunkFrameType.Gso);
            }
            else
            {
                Counters.CountBad();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _switchCalls);
        }
    }

    private void ClearRole()
    {
        _role = AdapterRole.None;
        Network = null;
        _trunkState = TrunkState.Inactive;
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

    /// <summary>The address as aa:bb:cc:dd:ee:ff.</summary>
    public static string Format(ReadOnlySpan<byte> mac) =>
        string.Create(17, BinaryPrimitives.ReadUInt64BigEndian([0, 0, .. mac]), static (chars, value) =>
        {
            for (int i = 0; i < 6; i++)
            {
                byte b = (byte)(value >> (8 * (5 - i)));
                chars[i * 3] = "0123456789abcdef"[b >> 4];
                chars[(i * 3) + 1] = "0123456789abcdef"[b & 15];
                if (i < 5)
                {
                    chars[(i * 3) + 2] = ':';
                }
            }
        });
}
