using SupHost.Abi;

namespace SupHost.IntNet.Internal.Qemu;

/// <summary><c>--stream PATH</c>: the network listens; every connection QEMU makes (<c>-netdev stream,server=off</c>) is a port, up to the limit.</summary>
internal sealed class QemuStreamListenEndpoint(Network network, QemuEndpointOptions options, QemuLoop loop) : QemuEndpoint(network, options, loop), IQemuWaiter
{
    private const int Backlog = 16;
    private IModuleIoHandle? _listener;
    private ulong _token;

    public override string Kind => "stream-listen";

    public override string State => IsClosed ? "closed" : "listening";

    public override int Open(IModuleIo io, out string? message)
    {
        int status;
        if (Options.IsTcp)
        {
            if (io is not IModuleTcpIo tcp)
            {
                message = "this daemon offers no TCP (IModuleTcpIo)";
                return -2;
            }

            status = tcp.ListenTcp(Options.TcpPort, Backlog, out _listener, out int bound);
            if (status == 0)
            {
                Path = $"{QemuEndpointOptions.TcpPrefix}127.0.0.1:{bound}";
            }
        }
        else
        {
            status = io.Listen(IoSocketType.Stream, Path, Backlog, out _listener);
        }

        message = status == 0 ? null : io.LastError;
        if (status == 0)
        {
            _token = Loop.Register(this, _listener!, IoInterest.Readable);
        }

        return status;
    }

    public void OnReady(IoInterest events, SwitchContext context)
    {
        IModuleIoHandle? listener = _listener;
        while (listener is not null && !IsClosed)
        {
            int status = listener.Accept(out IModuleIoHandle? connection);
            if (status != 0)
            {
                if (status != -53)
                {
                    Log(ModuleLogLevel.Warning, $"accept failed (status {status})");
                }

                return;
            }

            if (Ports.Length >= Options.MaxPeers)
            {
                connection!.Dispose();
                Counters.CountRefused();
                Log(ModuleLogLevel.Warning, $"a connection refused: {Options.MaxPeers} connections are the limit");
                continue;
            }

            var port = new QemuStreamPort(Loop.Ports.NextPortId(), Network, this, $"connection {Counters.Connections + 1} on {Path}", Options.QueueBytes, connection!, Loop);
            if (!Admit(port))
            {
                connection!.Dispose();
                continue;
            }

            Loop.Watch(port);
        }
    }

    protected override void CloseSocket()
    {
        IModuleIoHandle? listener = Interlocked.Exchange(ref _listener, null);
        if (listener is not null)
        {
            Loop.Unregister(_token);
            listener.Dispose();
        }
    }
}
