using System.Buffers.Binary;
using System.Text;
using SupHost.Abi;
using SupHost.IntNet.Internal;
using SupHost.IntNet.Internal.Qemu;

namespace SupHost.IntNet;

/// <summary>
/// QEMU guests on a network (NetQemuAdd): the socket back-ends QEMU's own <c>-netdev stream</c> and
/// <c>-netdev dgram</c> speak, each QEMU connection or datagram peer a port of the network. The
/// layout and the rules are in docs/networking.md, "QEMU guests".
/// </summary>
public sealed partial class IntNetModule
{
    /// <summary>NetQemuAdd's fixed part: kind, queue bytes, peers, idle ms, name length, path length.</summary>
    private const int QemuAddHeaderSize = 20;

    /// <summary>The most QEMU endpoints one network has.</summary>
    private const int MaxQemuEndpointsPerNetwork = 16;

    private QemuLoop? _qemu;

    /// <summary>
    /// Gives a persistent network a QEMU back-end (input: @0 u32 kind, 1 stream listen, 2 stream
    /// connect, 3 datagram; @4 u32 queue bytes per port, 0 for 262,144; @8 u32 the most connections
    /// or datagram peers, 0 for 64; @12 u32 a datagram peer's idle time in ms, 0 for 60,000; @16 u16
    /// the network name's length, @18 u16 the path's; @20 the name, then the path, UTF-8). Only a
    /// root session may: the daemon binds and connects Unix sockets at the path it is given.
    /// </summary>
    [SupEntryPoint]
    public int NetQemuAdd(ref ModuleCall call)
    {
        if (ParseQemuAdd(call.Input, out string? name, out QemuEndpointOptions? options) is (int bad, string why))
        {
            return call.Fail(bad, why);
        }

        if (call.Session.UserId != 0)
        {
            return call.Fail(-10, $"uid {call.Session.UserId} may not give a network a QEMU back-end: the daemon binds and connects Unix sockets where it is told, so only root may");
        }

        Network? network;
        QemuLoop loop;
        lock (_lock)
        {
            network = _networks.GetValueOrDefault(name!);
            if (network is null)
            {
                return call.Fail(-15, $"no network is named '{name}'");
            }

            if (!network.Persistent)
            {
                return call.Fail(-2, $"network '{name}' is not persistent: create it with NetCreate (supctl net create) to give it a QEMU back-end");
            }

            if (network.QemuEndpoints.Length >= MaxQemuEndpointsPerNetwork)
            {
                return call.Fail(-20, $"network '{name}' has {MaxQemuEndpointsPerNetwork} QEMU back-ends, the limit");
            }

            if (network.QemuEndpoints.Any(e => string.Equals(e.Path, options!.Path, StringComparison.Ordinal)))
            {
                return call.Fail(-16, $"network '{name}' has a QEMU back-end on {options!.Path} already");
            }

            loop = _qemu ??= QemuLoop.Start(Host, _contexts, new QemuPortRegistry(this));
        }

        QemuEndpoint endpoint = options!.Kind switch
        {
            QemuEndpointKind.StreamListen => new QemuStreamListenEndpoint(network, options, loop),
            QemuEndpointKind.StreamConnect => new QemuStreamConnectEndpoint(network, options, loop, Host.Io),
            _ => new QemuDgramEndpoint(network, options, loop),
        };
        int status = endpoint.Open(Host.Io, out string? message);
        if (status != 0)
        {
            string hint = status == -16 ? " (the path exists: remove it, or pick another)" : string.Empty;
            return call.Fail(status, $"QEMU {endpoint.Kind} on {options.Path}: {message}{hint}");
        }

        bool added;
        lock (_lock)
        {
            added = !network.Destroyed;
            if (added)
            {
                network.QemuEndpoints = [.. network.QemuEndpoints, endpoint];
            }
        }

        if (!added)
        {
            endpoint.Close();
            return call.Fail(-21, $"network '{name}' was deleted meanwhile");
        }

        loop.Add(endpoint);
        Host.Log.Write(ModuleLogLevel.Information, $"network '{name}': QEMU {endpoint.Kind} on {options.Path}");
        call.OutputLength = 0;
        return 0;
    }

    private static (int, string)? ParseQemuAdd(ReadOnlySpan<byte> input, out string? name, out QemuEndpointOptions? options)
    {
        name = null;
        options = null;
        if (input.Length < QemuAddHeaderSize)
        {
            return (-6, $"the input is {input.Length} bytes; NetQemuAdd takes at least {QemuAddHeaderSize}");
        }

        uint kind = BinaryPrimitives.ReadUInt32LittleEndian(input);
        uint queue = BinaryPrimitives.ReadUInt32LittleEndian(input[4..]);
        uint peers = BinaryPrimitives.ReadUInt32LittleEndian(input[8..]);
        uint idle = BinaryPrimitives.ReadUInt32LittleEndian(input[12..]);
        int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(input[16..]);
        int pathLength = BinaryPrimitives.ReadUInt16LittleEndian(input[18..]);
        if (kind is < 1 or > 3)
        {
            return (-2, $"kind {kind}: 1 (stream listen), 2 (stream connect) or 3 (datagram)");
        }

        if (queue != 0 && queue is < QemuEndpointOptions.MinQueueBytes or > QemuEndpointOptions.MaxQueueBytes)
        {
            return (-2, $"a queue of {queue} bytes: 0 (the default, {QemuEndpointOptions.DefaultQueueBytes}) or {QemuEndpointOptions.MinQueueBytes} to {QemuEndpointOptions.MaxQueueBytes}");
        }

        if (peers > QemuEndpointOptions.MaxMaxPeers)
        {
            return (-2, $"{peers} peers: 0 (the default, {QemuEndpointOptions.DefaultMaxPeers}) or 1 to {QemuEndpointOptions.MaxMaxPeers}");
        }

        if (idle != 0 && idle is < QemuEndpointOptions.MinIdleMilliseconds or > QemuEndpointOptions.MaxIdleMilliseconds)
        {
            return (-2, $"an idle time of {idle} ms: 0 (the default, {QemuEndpointOptions.DefaultIdleMilliseconds}) or {QemuEndpointOptions.MinIdleMilliseconds} to {QemuEndpointOptions.MaxIdleMilliseconds}");
        }

        if (nameLength is 0 or > 127)
        {
            return (-22, $"the network name is {nameLength} bytes; 1 to 127 are allowed");
        }

        if (pathLength is 0 or > 107)
        {
            return (-22, $"the path is {pathLength} bytes; 1 to 107 are allowed (a Unix socket's sun_path)");
        }

        if (input.Length != QemuAddHeaderSize + nameLength + pathLength)
        {
            return (-6, $"the input is {input.Length} bytes; the header says {QemuAddHeaderSize + nameLength + pathLength}");
        }

        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        string path;
        try
        {
            name = strict.GetString(input.Slice(QemuAddHeaderSize, nameLength));
            path = strict.GetString(input.Slice(QemuAddHeaderSize + nameLength, pathLength));
        }
        catch (DecoderFallbackException)
        {
            return (-22, "the network name or the path is not valid UTF-8");
        }

        int tcpPort = -1;
        if (path.StartsWith(QemuEndpointOptions.TcpPrefix, StringComparison.Ordinal))
        {
            // Loopback only: tcp:PORT or tcp:127.0.0.1:PORT, for the streams.
            string port = path[QemuEndpointOptions.TcpPrefix.Length..];
            port = port.StartsWith("127.0.0.1:", StringComparison.Ordinal) ? port["127.0.0.1:".Length..] : port;
            if (!int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out tcpPort) || tcpPort > 65535
                || (tcpPort == 0 && kind != 1))
            {
                return (-22, $"'{path}': a TCP address is tcp:PORT or tcp:127.0.0.1:PORT (the loopback only; port 1 to 65535, or 0 for a listener)");
            }

            if (kind == 3)
            {
                return (-2, $"'{path}': datagram back-ends are Unix paths only");
            }
        }
        else if (path[0] != '/' || path.Contains('\0', StringComparison.Ordinal))
        {
            return (-22, $"the path '{path.Replace("\0", "\\0", StringComparison.Ordinal)}' must be absolute and hold no NUL, or be tcp:PORT");
        }

        options = new QemuEndpointOptions(
            (QemuEndpointKind)kind,
            path,
            queue == 0 ? QemuEndpointOptions.DefaultQueueBytes : (int)queue,
            peers == 0 ? QemuEndpointOptions.DefaultMaxPeers : (int)peers,
            idle == 0 ? QemuEndpointOptions.DefaultIdleMilliseconds : (int)idle) { TcpPort = tcpPort };
        return null;
    }

    /// <summary>Ends a network's QEMU back-ends (its teardown): sockets closed, paths removed, ports gone.</summary>
    private void CloseQemu(Network network)
    {
        QemuEndpoint[] endpoints;
        lock (_lock)
        {
            endpoints = network.QemuEndpoints;
            network.QemuEndpoints = [];
        }

        foreach (QemuEndpoint endpoint in endpoints)
        {
            _qemu?.Remove(endpoint);
            endpoint.Close();
        }
    }

    /// <summary>Stops the QEMU loop (the module's end, after every network's teardown).</summary>
    private void StopQemu()
    {
        QemuLoop? loop;
        lock (_lock)
        {
            loop = _qemu;
            _qemu = null;
        }

        loop?.Dispose();
    }

    /// <summary>The module's side of the QEMU ports: ids, and membership under the module's lock.</summary>
    private sealed class QemuPortRegistry(IntNetModule module) : IQemuPorts
    {
        public uint NextPortId()
        {
            lock (module._lock)
            {
                return module.NextPortId();
            }
        }

        public string? Attach(QemuPort port)
        {
            TrunkConnection? trunk;
            lock (module._lock)
            {
                Network network = port.Network;
                if (network.Destroyed)
                {
                    return "the network is being deleted";
                }

                if (network.Ports.Length >= MaxPortsPerNetwork)
                {
                    return $"the network has {MaxPortsPerNetwork} ports, the limit";
                }

                // QEMU's link is up while it is connected: the port is active from the start.
                port.SetActive(true);
                network.Add(port);
                trunk = network.Trunk;
            }

            trunk?.Refresh();
            return null;
        }

        public void Detach(QemuPort port)
        {
            TrunkConnection? trunk = null;
            lock (module._lock)
            {
                Network network = port.Network;
                if (network.Remove(port))
                {
                    trunk = network.Trunk;
                }
            }

            trunk?.Refresh();
        }
    }
}
