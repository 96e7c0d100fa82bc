using System.Text;
using SupHost.Abi;

namespace SupHost.IntNet.Internal.Qemu;

/// <summary>
/// <c>--dgram PATH</c>: the network binds a Unix datagram path; each source path that sends to it
/// (QEMU's <c>-netdev dgram,local.path=...,remote.path=PATH</c>) becomes a port, up to the limit
/// (more are refused and counted: a flood from many paths cannot grow the daemon), and is forgotten
/// after the idle time or when a send to it fails. One frame a datagram, no header.
/// </summary>
internal sealed class QemuDgramEndpoint(Network network, QemuEndpointOptions options, QemuLoop loop) : QemuEndpoint(network, options, loop), IQemuWaiter
{
    /// <summary>Datagrams per wake-up before the loop serves the other sockets.</summary>
    private const int ReceiveBudget = 256;

    private readonly List<QemuDgramPort> _peers = [];
    private readonly byte[] _datagram = new byte[QemuPort.MaxFrame + 1];
    private readonly byte[] _source = new byte[108];
    private IModuleIoHandle? _handle;
    private IModuleDatagramSocket? _socket;
    private ulong _token;

    public override string Kind => "dgram";

    public override string State => IsClosed ? "closed" : "bound";

    /// <summary>The bound socket (sends to every peer go from it).</summary>
    public IModuleDatagramSocket Socket => _socket ?? throw new ObjectDisposedException(Path);

    public override int Open(IModuleIo io, out string? message)
    {
        int status = io.Listen(IoSocketType.Datagram, Path, 1, out _handle);
        if (status != 0)
        {
            message = io.LastError;
            return status;
        }

        if (_handle is not IModuleDatagramSocket socket)
        {
            _handle!.Dispose();
            message = "this daemon's datagram sockets have no ReceiveFrom/SendTo (IModuleDatagramSocket)";
            return -2;
        }

        _socket = socket;
        _token = Loop.Register(this, _handle, IoInterest.Readable);
        message = null;
        return 0;
    }

    public void OnReady(IoInterest events, SwitchContext context)
    {
        IModuleDatagramSocket? socket = _socket;
        for (int i = 0; i < ReceiveBudget && socket is not null && !IsClosed; i++)
        {
            int length = socket.ReceiveFrom(_datagram, _source, out int sourceLength);
            if (length == -53)
            {
                return;
            }

            if (length < 0)
            {
                Log(ModuleLogLevel.Warning, $"receiving failed (status {length})");
                return;
            }

            if (sourceLength == 0)
            {
                Counters.CountUnnamed();
                Log(ModuleLogLevel.Warning, "a datagram from an unnamed socket dropped: it cannot be answered");
                continue;
            }

            ReadOnlySpan<byte> source = _source.AsSpan(0, sourceLength);
            QemuDgramPort? peer = Find(source);
            if (length is 0 or > QemuPort.MaxFrame)
            {
                Counters.CountBadLength();
                peer?.Counters.CountBad();
                Log(ModuleLogLevel.Warning, $"a datagram of {length} bytes dropped (1 to {QemuPort.MaxFrame} are allowed)");
                continue;
            }

            peer ??= Learn(source);
            if (peer is null)
            {
                continue;
            }

            peer.LastSeen = Environment.TickCount64;
            ReadOnlySpan<byte> frame = _datagram.AsSpan(0, length);
            peer.Counters.In(length);
            _ = Network.Switch(peer, TrunkDirection.None, frame, Format.FrameType.Frame, context);
            if ((i & 15) == 15)
            {
                QemuLoop.FlushDeferred();
            }
        }

        QemuLoop.FlushDeferred();
    }

    public override void Tick(long now)
    {
        for (int i = _peers.Count - 1; i >= 0; i--)
        {
            QemuDgramPort peer = _peers[i];
            if (peer.IsClosed)
            {
                _peers.RemoveAt(i);
            }
            else if (peer.Failed)
            {
                _peers.RemoveAt(i);
                Loop.Close(peer, "a send to it failed (its socket is gone)", ModuleLogLevel.Information);
            }
            else if (now - peer.LastSeen > Options.IdleMilliseconds)
            {
                _peers.RemoveAt(i);
                Counters.CountExpired();
                Loop.Close(peer, $"idle for over {Options.IdleMilliseconds} ms", ModuleLogLevel.Information);
            }
        }
    }

    protected override void CloseSocket()
    {
        IModuleIoHandle? handle = Interlocked.Exchange(ref _handle, null);
        if (handle is not null)
        {
            Loop.Unregister(_token);
            handle.Dispose();
        }
    }

    private QemuDgramPort? Find(ReadOnlySpan<byte> source)
    {
        foreach (QemuDgramPort peer in _peers)
        {
            if (!peer.IsClosed && source.SequenceEqual(peer.Address))
            {
                return peer;
            }
        }

        return null;
    }

    private QemuDgramPort? Learn(ReadOnlySpan<byte> source)
    {
        _peers.RemoveAll(p => p.IsClosed);
        if (_peers.Count >= Options.MaxPeers)
        {
            // Nothing is made for a refused peer: a flood from many paths costs a counter.
            Counters.CountRefused();
            Log(ModuleLogLevel.Warning, $"a new peer refused: {Options.MaxPeers} peers are the limit");
            return null;
        }

        string name = source[0] == 0 ? "@" + Encoding.UTF8.GetString(source[1..]) : Encoding.UTF8.GetString(source);

        var peer = new QemuDgramPort(Loop.Ports.NextPortId(), Network, this, name, source.ToArray(), Options.QueueBytes, Loop);
        if (!Admit(peer))
        {
            return null;
        }

        _peers.Add(peer);
        return peer;
    }
}
