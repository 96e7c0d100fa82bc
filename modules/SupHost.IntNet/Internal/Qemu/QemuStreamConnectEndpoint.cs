using SupHost.Abi;

namespace SupHost.IntNet.Internal.Qemu;

/// <summary>
/// <c>--stream-connect PATH</c>: the network connects to a QEMU listening with <c>server=on</c>, and
/// again (every 200 ms) while it is not there or after it went: QEMU 7.2's client never reconnects,
/// its server takes a new connection.
/// </summary>
internal sealed class QemuStreamConnectEndpoint(Network network, QemuEndpointOptions options, QemuLoop loop, IModuleIo io) : QemuEndpoint(network, options, loop)
{
    private const int RetryMilliseconds = 200;
    private long _next;
    private string? _lastError;

    public override string Kind => "stream-connect";

    public override string State => IsClosed ? "closed" : Ports.Length != 0 ? "connected" : "connecting";

    public override string? LastError => Volatile.Read(ref _lastError);

    public override int Open(IModuleIo io, out string? message)
    {
        // Nothing to make: the loop's ticks connect. A path that cannot be a socket's is refused by the first Connect.
        if (Options.IsTcp)
        {
            Path = $"{QemuEndpointOptions.TcpPrefix}127.0.0.1:{Options.TcpPort}";
            if (io is not IModuleTcpIo)
            {
                message = "this daemon offers no TCP (IModuleTcpIo)";
                return -2;
            }
        }

        message = null;
        return 0;
    }

    public override void Tick(long now)
    {
        base.Tick(now);
        if (IsClosed || Ports.Length != 0 || now < _next)
        {
            return;
        }

        IModuleIoHandle? socket;
        int status = Options.IsTcp
            ? ((IModuleTcpIo)io).ConnectTcp(Options.TcpPort, out socket)
            : io.Connect(IoSocketType.Stream, Path, out socket);
        if (status != 0)
        {
            Volatile.Write(ref _lastError, $"status {status}: {io.LastError}");
            _next = now + RetryMilliseconds;
            return;
        }

        Volatile.Write(ref _lastError, null);
        var port = new QemuStreamPort(Loop.Ports.NextPortId(), Network, this, Path, Options.QueueBytes, socket!, Loop);
        if (!Admit(port))
        {
            socket!.Dispose();
            _next = now + RetryMilliseconds;
            return;
        }

        Loop.Watch(port);
    }

    protected override void CloseSocket()
    {
        // The connection is the port's; Close ends it.
    }
}
