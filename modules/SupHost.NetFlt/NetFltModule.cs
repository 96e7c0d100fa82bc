using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using SupHost.Abi;
using SupHost.IntNet.Format;

[assembly: SupModule("netflt", typeof(SupHost.NetFlt.NetFltModule))]

namespace SupHost.NetFlt;

/// <summary>
/// Bridging host interfaces into IntNet networks (VirtualBox's VBoxNetFlt): the factory "NetFlt"
/// connects an interface, named "IF" (the daemon's namespace) or "NETNS/IF", as a network's trunk
/// wire end over an AF_PACKET socket. Entry point List (docs/networking.md).
/// </summary>
public sealed class NetFltModule : ISupModule, ITrunkFactory
{
    private const int Burst = 64;
    private readonly Lock _lock = new();
    private readonly ConcurrentDictionary<ulong, Filter> _filters = new();
    private IModuleHost? _host;
    private IModuleReadiness? _readiness;
    private IModuleWorker? _worker;
    private ulong _factory;
    private ulong _nextId;

    private IModuleHost Host => _host ?? throw new InvalidOperationException("the netflt module is not initialized");

    /// <inheritdoc/>
    public void Initialize(IModuleHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        _host = host;
        _factory = host.Components.Register(new TrunkFactory(this));
    }

    /// <inheritdoc/>
    public void Terminate()
    {
        lock (_lock)
        {
            if (_factory != 0)
            {
                _ = Host.Components.Deregister(_factory);
                _factory = 0;
            }
        }

        foreach (Filter filter in _filters.Values)
        {
            filter.Dispose();
        }

        _filters.Clear();
        _worker?.Dispose();
        _readiness?.Dispose();
    }

    /// <inheritdoc/>
    public int CreateAndConnect(string trunkName, ISwitchPort switchPort, TrunkConnectFlags flags, out ITrunkPort? trunk)
    {
        trunk = null;
        if (switchPort is null || !TryParse(trunkName, out string? networkNamespace, out string? device))
        {
            return -22;
        }

        IModuleHost host = Host;
        lock (_lock)
        {
            if (_filters.Values.Any(f => string.Equals(f.Name, trunkName, StringComparison.Ordinal)))
            {
                return -57;
            }

            if (_readiness is null)
            {
                int made = host.Io.CreateReadiness(out _readiness);
                if (made != 0)
                {
                    return made;
                }

                _worker = host.Threads.Start("packet-reader", Run);
            }

            bool promiscuous = (flags & TrunkConnectFlags.NoPromiscuous) == TrunkConnectFlags.None;
            int status = host.Io.OpenPacketSocket(device!, networkNamespace, promiscuous, vnetHeader: true, out IModuleIoHandle? socket);
            if (status != 0)
            {
                host.Log.Write(ModuleLogLevel.Warning, $"NetFlt {trunkName}: status {status} ({host.Io.LastError})");
                return status == -15 ? -56 : status;
            }

            var filter = new Filter(++_nextId, trunkName, promiscuous, socket!, switchPort, f => _filters.TryRemove(f.Id, out _));
            status = _readiness!.Add(socket!, IoInterest.Readable, filter.Id);
            if (status != 0)
            {
                socket!.Dispose();
                return status;
            }

            _filters[filter.Id] = filter;
            switchPort.ReportGsoCapabilities(Filter.GsoTypes, TrunkDirection.Wire);
            switchPort.ReportGsoCapabilities(0, TrunkDirection.Host);
            switchPort.ReportPromiscuousMode(false);
            host.Log.Write(ModuleLogLevel.Information, $"NetFlt {trunkName}: bridged{(promiscuous ? ", promiscuous" : string.Empty)}");
            trunk = filter;
            return 0;
        }
    }

    /// <summary>The bridged interfaces, as JSON: {"trunks":[{name, promiscuous, state, framesIn, framesOut, lost, bad}]}.</summary>
    [SupEntryPoint]
    public int List(ref ModuleCall call)
    {
        var output = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(output))
        {
            json.WriteStartObject();
            json.WriteStartArray("trunks");
            foreach (Filter filter in _filters.Values.OrderBy(f => f.Id))
            {
                json.WriteStartObject();
                json.WriteString("name", filter.Name);
                json.WriteBoolean("promiscuous", filter.Promiscuous);
                json.WriteString("state", filter.State.ToString().ToLowerInvariant());
                json.WriteNumber("framesIn", filter.FramesIn);
                json.WriteNumber("framesOut", filter.FramesOut);
                json.WriteNumber("lost", filter.Lost);
                json.WriteNumber("bad", filter.Bad);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        if (output.WrittenCount > call.Output.Length)
        {
            return call.Fail(-17, $"the listing is {output.WrittenCount} bytes and the output buffer {call.Output.Length}");
        }

        output.WrittenSpan.CopyTo(call.Output);
        call.OutputLength = output.WrittenCount;
        return 0;
    }

    /// <summary>"IF" or "NETNS/IF": an interface name of 1 to 15 bytes, a namespace name of 1 to 64, of A-Z a-z 0-9 . _ -.</summary>
    private static bool TryParse(string? trunkName, out string? networkNamespace, out string? device)
    {
        (networkNamespace, device) = (null, null);
        if (string.IsNullOrEmpty(trunkName))
        {
            return false;
        }

        int slash = trunkName.IndexOf('/', StringComparison.Ordinal);
        (networkNamespace, device) = slash < 0 ? (null, trunkName) : (trunkName[..slash], trunkName[(slash + 1)..]);
        return device is { Length: >= 1 and <= 15 } && device.All(IsNameChar)
            && networkNamespace is null or { Length: >= 1 and <= 64 } && (networkNamespace?.All(IsNameChar) ?? true);
    }

    private static bool IsNameChar(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_' or '-';

    private void Run(CancellationToken stop)
    {
        var ready = new IoReady[64];
        byte[] buffer = new byte[VnetDeviceFrame.ReadBufferSize];
        IModuleReadiness readiness = _readiness!;
        while (!stop.IsCancellationRequested)
        {
            int count = readiness.Wait(ready, -1, stop);
            if (count < 0)
            {
                return;
            }

            for (int i = 0; i < count; i++)
            {
                if (_filters.TryGetValue(ready[i].Token, out Filter? filter) && filter.ReadBurst(buffer, Burst) < 0)
                {
                    _ = readiness.Remove(filter.Socket);
                }
            }
        }
    }

    /// <summary>The factory "NetFlt": answers the trunk contract with the module.</summary>
    private sealed class TrunkFactory(NetFltModule module) : IComponentFactory
    {
        public string Name => TrunkContracts.NetFltFactory;

        public object? QueryInterface(Guid interfaceId) => interfaceId == TrunkContracts.FactoryInterfaceV1 ? module : null;
    }
}
