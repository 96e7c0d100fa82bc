using SupHost.Abi;

namespace SupHost.IntNet.Internal.Qemu;

/// <summary>
/// A network's socket back-end for QEMU (NetQemuAdd): a Unix path the network listens on, connects
/// to, or binds for datagrams, and the ports it makes. Lives until its network goes.
/// </summary>
internal abstract class QemuEndpoint(Network network, QemuEndpointOptions options, QemuLoop loop)
{
    private QemuPort[] _ports = [];
    private volatile bool _closed;
    private long _logSecond;
    private int _logCount;

    public Network Network { get; } = network;

    public QemuEndpointOptions Options { get; } = options;

    /// <summary>The Unix path, or <c>tcp:127.0.0.1:PORT</c> (a TCP listener's port once bound).</summary>
    public string Path { get; protected set; } = options.Path;

    public QemuEndpointCounters Counters { get; } = new();

    public bool IsClosed => _closed;

    /// <summary>"stream-listen", "stream-connect" or "dgram".</summary>
    public abstract string Kind { get; }

    /// <summary>"listening", "connected", "connecting", "bound", "closed".</summary>
    public abstract string State { get; }

    /// <summary>The ports it has now.</summary>
    public QemuPort[] Ports => Volatile.Read(ref _ports);

    /// <summary>The last reason a connect failed, for the listing.</summary>
    public virtual string? LastError => null;

    protected QemuLoop Loop { get; } = loop;

    /// <summary>Makes the socket; 0, or a status with the reason in <paramref name="message"/>.</summary>
    public abstract int Open(IModuleIo io, out string? message);

    /// <summary>Periodic work on the loop (connect retries, idle peers, stalled frames).</summary>
    public virtual void Tick(long now)
    {
        foreach (QemuPort port in Ports)
        {
            if (port is QemuStreamPort stream && stream.PartialSince is long since and not 0 && now - since > QemuEndpointOptions.StallMilliseconds)
            {
                Counters.CountStalled();
                stream.Counters.CountBad();
                Loop.Close(stream, $"half a frame ({stream.Partial} bytes) stood unfinished for over {QemuEndpointOptions.StallMilliseconds / 1000} s", ModuleLogLevel.Warning);
            }
        }
    }

    /// <summary>Ends the endpoint: its socket and every port it made.</summary>
    public void Close()
    {
        _closed = true;
        CloseSocket();
        foreach (QemuPort port in Ports)
        {
            Loop.Close(port, "the network's QEMU endpoint closed", ModuleLogLevel.Debug);
        }
    }

    /// <summary>A port left (the loop closed it).</summary>
    public void Forget(QemuPort port)
    {
        lock (this)
        {
            QemuPort[] ports = _ports;
            int index = Array.IndexOf(ports, port);
            if (index >= 0)
            {
                Volatile.Write(ref _ports, [.. ports[..index], .. ports[(index + 1)..]]);
            }
        }
    }

    /// <summary>A log line, at most five a second for the endpoint (a hostile peer must not flood the log).</summary>
    public void Log(ModuleLogLevel level, string message)
    {
        long second = Environment.TickCount64 / 1000;
        if (Interlocked.Exchange(ref _logSecond, second) != second)
        {
            Volatile.Write(ref _logCount, 0);
        }

        if (Interlocked.Increment(ref _logCount) <= 5)
        {
            Loop.Log.Write(level, $"network '{Network.Name}', QEMU {Kind} {Path}: {message}");
        }
    }

    /// <summary>Adds a port it made to its network and its list; false (and the port closed) when refused.</summary>
    protected bool Admit(QemuPort port)
    {
        if (Loop.Ports.Attach(port) is string refused)
        {
            Counters.CountRefused();
            Log(ModuleLogLevel.Warning, $"{port.Peer} refused: {refused}");
            return false;
        }

        lock (this)
        {
            Volatile.Write(ref _ports, [.. _ports, port]);
        }

        Counters.CountConnection();
        if (_closed)
        {
            Loop.Close(port, "the network's QEMU endpoint closed", ModuleLogLevel.Debug);
            return false;
        }

        Log(ModuleLogLevel.Information, $"port {port.Id} ({port.Kind}, {port.Peer}) joined");
        return true;
    }

    protected abstract void CloseSocket();
}
