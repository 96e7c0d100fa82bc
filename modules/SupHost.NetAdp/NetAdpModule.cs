using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using SupHost.Abi;
using SupHost.NetAdp.Internal;

[assembly: SupModule("netadp", typeof(SupHost.NetAdp.NetAdpModule))]

namespace SupHost.NetAdp;

/// <summary>
/// Host-only adapters (VirtualBox's VBoxNetAdp) as TAP devices: each is a port of an IntNet network
/// (any number per network), found through IntNet's factory "IntNet", or the trunk host end of a
/// network opened with trunk type NetAdp and the adapter's name (this module's factory "NetAdp").
/// Entry points Add, Remove, List (docs/networking.md).
/// </summary>
public sealed class NetAdpModule : ISupModule, ITrunkFactory
{
    /// <summary>The most adapters, as the original (units 0 to 127).</summary>
    public const int MaxAdapters = 128;

    /// <summary>The MTU of a new adapter, as the original.</summary>
    public const int DefaultMtu = 1500;

    /// <summary>The first three bytes of an adapter's address: locally administered, unicast ("SH"); the original's are 0a:00:27.</summary>
    public static readonly byte[] MacPrefix = [0x0a, 0x53, 0x48];

    private const int MaxInput = 4096;

    /// <summary>The most an Add's answer takes (its names are bounded: 15, 64 and 127 bytes, escaped at most 6 times over).</summary>
    private const int MaxAnswer = 2048;
    private const int MaxListing = 1 << 20;
    private const TapOffloads Offloads = TapOffloads.Checksum | TapOffloads.TcpSegmentation4 | TapOffloads.TcpSegmentation6 | TapOffloads.TcpSegmentationEcn;

    /// <summary>The module setting (Supd:Modules:netadp:KeepAdapters) that makes every adapter persistent.</summary>
    public const string KeepAdaptersSetting = "KeepAdapters";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Adapter> _adapters = new(StringComparer.Ordinal);
    private readonly string _start = Guid.NewGuid().ToString("N");
    private IModuleHost? _host;
    private bool _keepAdapters;
    private AdapterWorker? _worker;
    private ulong _factory;
    private ulong _nextId;

    private IModuleHost Host => _host ?? throw new InvalidOperationException("the netadp module is not initialized");

    /// <inheritdoc/>
    public void Initialize(IModuleHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        _host = host;
        string? keep = host.Settings.GetValue(KeepAdaptersSetting);
        if (keep is not null && !bool.TryParse(keep, out _keepAdapters))
        {
            host.Log.Write(ModuleLogLevel.Warning, $"setting {KeepAdaptersSetting} '{keep}' is neither true nor false; adapters are not kept");
        }

        lock (_lock)
        {
            Recover(host);
        }

        _factory = host.Components.Register(new TrunkFactory(this));
    }

    /// <inheritdoc/>
    public void Terminate()
    {
        List<Adapter> adapters;
        lock (_lock)
        {
            if (_factory != 0)
            {
                _ = Host.Components.Deregister(_factory);
                _factory = 0;
            }

            adapters = [.. _adapters.Values];

            // The kept ones stay in the record, for the next daemon to take back.
            Record(stopped: true, adapters.Where(a => a.Kept));
            _adapters.Clear();
        }

        // Each leaves its network and its TAP goes, unless it is kept: then the device stays,
        // persistent, without carrier (the readers were stopped before Terminate).
        foreach (Adapter adapter in adapters)
        {
            _worker?.Remove(adapter);
            adapter.Dispose();
            if (adapter.Kept)
            {
                Host.Log.Write(ModuleLogLevel.Information, $"adapter {adapter.Device} kept as a device");
            }
        }

        _worker?.Dispose();
        _worker = null;
    }

    /// <summary>
    /// Creates an adapter (uid 0 only). Input: JSON {"name", "network", "netns", "mac", "mtu", "keep"},
    /// every field optional (at most 4096 bytes); output (at least 2048 bytes, -17 before anything
    /// is made otherwise): the adapter as List shows it.
    /// </summary>
    [SupEntryPoint]
    public int Add(ref ModuleCall call)
    {
        if (call.Session.UserId != 0)
        {
            return call.Fail(-10, $"uid {call.Session.UserId} may not create adapters; only root may");
        }

        if (call.Output.Length < MaxAnswer)
        {
            return call.Fail(-17, $"the output buffer is {call.Output.Length} bytes; an adapter's answer needs up to {MaxAnswer}");
        }

        if (AddRequest.TryParse(call.Input, MaxInput, out AddRequest? request) is string invalid)
        {
            return call.Fail(invalid.StartsWith("name", StringComparison.Ordinal) || invalid.StartsWith("netns", StringComparison.Ordinal) ? -22 : -2, invalid);
        }

        IModuleHost host = Host;
        bool kept = request!.Keep || _keepAdapters;
        if (kept && CannotKeep(host) is string cannot)
        {
            return call.Fail(-2, $"keep: {cannot}");
        }

        Adapter adapter;
        lock (_lock)
        {
            if (request.Name is string taken && _adapters.ContainsKey(taken))
            {
                return call.Fail(-16, $"adapter {taken} exists");
            }

            if (_adapters.Count >= MaxAdapters)
            {
                return call.Fail(-20, $"{_adapters.Count} adapters exist, the most there may be");
            }

            if (_worker is null)
            {
                int started = AdapterWorker.Start(host, out _worker);
                if (started != 0)
                {
                    return call.Fail(started, $"starting the TAP reader: status {started} ({host.Io.LastError})");
                }
            }

            if (CreateTap(request, kept, out IModuleIoHandle? tap, out int unit, out string name) is (int failed, string failure))
            {
                return call.Fail(failed, failure);
            }

            byte[] mac = request.Mac ?? [.. MacPrefix, 0, (byte)(unit >> 8), (byte)unit];
            int status = host.Io.ConfigureLink(name, request.Namespace, new LinkSettings { Mtu = request.Mtu ?? DefaultMtu, MacAddress = mac, Up = true });
            if (status != 0)
            {
                string? error = host.Io.LastError;
                Discard(tap!, kept);
                return call.Fail(status, $"setting up {name}: status {status} ({error})");
            }

            adapter = new Adapter(++_nextId, unit, name, request.Namespace, mac, request.Mtu ?? DefaultMtu, tap!) { Kept = kept, KeepAsked = request.Keep };
            status = _worker!.Add(adapter);
            if (status != 0)
            {
                Discard(adapter);
                return call.Fail(status, $"watching {name}: status {status}");
            }

            _adapters.Add(name, adapter);
            Record(stopped: false, _adapters.Values);
        }

        if (request.Network is string network && Join(call.Session, adapter, network) is (int refused, string why))
        {
            Remove(adapter);
            return call.Fail(refused, why);
        }

        host.Log.Write(ModuleLogLevel.Information, $"adapter {adapter.Device} ({Adapter.Format(adapter.Mac)}, MTU {adapter.Mtu}) created{(kept ? ", kept" : string.Empty)}{(request.Network is null ? string.Empty : $" on network '{request.Network}'")}");
        return Answer(ref call, json => WriteAdapter(json, adapter));
    }

    /// <summary>Removes an adapter (uid 0 only; input: its name): it leaves its network and its TAP goes.</summary>
    [SupEntryPoint]
    public int Remove(ref ModuleCall call)
    {
        if (call.Session.UserId != 0)
        {
            return call.Fail(-10, $"uid {call.Session.UserId} may not remove adapters; only root may");
        }

        string? name = AddRequest.ReadName(call.Input);
        if (name is null)
        {
            return call.Fail(-22, "the input is not an adapter name (1 to 15 bytes)");
        }

        Adapter? adapter;
        lock (_lock)
        {
            if (!_adapters.Remove(name, out adapter))
            {
                return call.Fail(-15, $"no adapter is named {name}");
            }

            Record(stopped: false, _adapters.Values);
        }

        _worker?.Remove(adapter);
        Discard(adapter);
        Host.Log.Write(ModuleLogLevel.Information, $"adapter {adapter.Device} removed");
        return 0;
    }

    /// <summary>Every adapter, as JSON: {"adapters":[{name, namespace, network, role, mac, mtu, unit, kept, counters}]}.</summary>
    [SupEntryPoint]
    public int List(ref ModuleCall call)
    {
        Adapter[] adapters;
        lock (_lock)
        {
            adapters = [.. _adapters.Values.OrderBy(a => a.Unit)];
        }

        return Answer(ref call, json =>
        {
            json.WriteStartArray("adapters");
            foreach (Adapter adapter in adapters)
            {
                json.WriteStartObject();
                WriteAdapter(json, adapter);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        });
    }

    /// <inheritdoc/>
    public int CreateAndConnect(string trunkName, ISwitchPort switchPort, TrunkConnectFlags flags, out ITrunkPort? trunk)
    {
        trunk = null;
        if (string.IsNullOrEmpty(trunkName) || Encoding.UTF8.GetByteCount(trunkName) > 63 || switchPort is null)
        {
            return -22;
        }

        lock (_lock)
        {
            if (!_adapters.TryGetValue(trunkName, out Adapter? adapter))
            {
                return -56;
            }

            if (!adapter.Attach(switchPort, AdapterRole.Trunk, null))
            {
                return -57;
            }

            trunk = adapter;
            return 0;
        }
    }

    /// <summary>
    /// Creates the TAP (under the lock) with a unit for its address, and for its name when none was
    /// given: the lowest free unit; a suphostN that exists in the namespace (another daemon's) is skipped.
    /// </summary>
    private (int, string)? CreateTap(AddRequest request, bool kept, out IModuleIoHandle? tap, out int unit, out string name)
    {
        IModuleHost host = Host;
        var used = new HashSet<int>(_adapters.Values.Select(a => a.Unit));
        (tap, unit, name) = (null, -1, string.Empty);
        int status = -20;
        string? error = "every unit is taken";
        for (int candidate = 0; candidate < MaxAdapters; candidate++)
        {
            if (used.Contains(candidate))
            {
                continue;
            }

            string tried = request.Name ?? $"suphost{candidate}";
            if (request.Name is null && _adapters.ContainsKey(tried))
            {
                continue;
            }

            status = kept
                ? ((IModuleTapIo)host.Io).CreateTap(tried, request.Namespace, Offloads, persistent: true, out tap)
                : host.Io.CreateTap(tried, request.Namespace, Offloads, out tap);
            if (status == 0)
            {
                (unit, name) = (candidate, tried);
                return null;
            }

            error = host.Io.LastError;
            if (request.Name is not null || status is -15 or -22 or -20)
            {
                break;
            }
        }

        return (status, $"creating the TAP: status {status} ({error})");
    }

    /// <summary>Connects an adapter to a network through IntNet's factory, as a port.</summary>
    private (int, string)? Join(ISessionIdentity requester, Adapter adapter, string network)
    {
        if (Host.Components.Query(PortContracts.IntNetFactory, PortContracts.NetworkPortsInterfaceV1) is not INetworkPorts ports)
        {
            return (-18, $"adapter {adapter.Name} on network '{network}': IntNet is not loaded (no factory '{PortContracts.IntNetFactory}' answers the ports interface)");
        }

        int status = ports.Connect(requester, network, "tap", adapter.Device, adapter, out ISwitchPort? switchPort);
        if (status != 0 || switchPort is null)
        {
            return (status == 0 ? -1 : status, $"adapter {adapter.Name} on network '{network}': IntNet refused the port (status {status})");
        }

        lock (_lock)
        {
            if (adapter.Attach(switchPort, AdapterRole.Port, network))
            {
                return null;
            }
        }

        // Made a trunk meanwhile (a network named it): give the port back.
        switchPort.Disconnect(adapter);
        return (-57, $"adapter {adapter.Name} became a trunk meanwhile");
    }

    private void Remove(Adapter adapter)
    {
        lock (_lock)
        {
            _ = _adapters.Remove(adapter.Name);
            Record(stopped: false, _adapters.Values);
        }

        _worker?.Remove(adapter);
        Discard(adapter);
    }

    /// <summary>Why this daemon cannot keep adapters (no persistent TAPs, or no state directory), or null.</summary>
    private static string? CannotKeep(IModuleHost host) =>
        host.Io is not IModuleTapIo ? "this daemon offers no persistent TAPs (Abi 1.2's IModuleTapIo)"
        : host.Settings.StateDirectory is null ? "this daemon gives the module no state directory to record kept adapters in"
        : null;

    /// <summary>Closes an adapter for good: a kept one's TAP is made not persistent first, so that the device goes.</summary>
    private void Discard(Adapter adapter)
    {
        if (adapter.Kept)
        {
            Unpersist(adapter.Tap, adapter.Device);
        }

        adapter.Dispose();
    }

    private void Discard(IModuleIoHandle tap, bool kept)
    {
        if (kept)
        {
            Unpersist(tap, tap.Name);
        }

        tap.Dispose();
    }

    private void Unpersist(IModuleIoHandle tap, string device)
    {
        if (Host.Io is IModuleTapIo io && io.SetTapPersistent(tap, false) != 0)
        {
            Host.Log.Write(ModuleLogLevel.Warning, $"{device} could not be made not persistent ({Host.Io.LastError}); the device stays");
        }
    }

    /// <summary>
    /// Writes the state file (under the lock): this daemon's pid and start identity, whether it
    /// stopped, and <paramref name="adapters"/>. No state directory: nothing is recorded (and nothing can be kept).
    /// </summary>
    private void Record(bool stopped, IEnumerable<Adapter> adapters)
    {
        IModuleSettings settings = Host.Settings;
        if (settings.StateDirectory is null)
        {
            return;
        }

        RecordedAdapter[] recorded = [.. adapters.OrderBy(a => a.Unit).Select(a => new RecordedAdapter(a.Name, a.Namespace, a.Mac, a.Mtu, a.Unit, a.Kept, a.KeepAsked))];
        int status = stopped && recorded.Length == 0
            ? settings.DeleteState(AdapterRecord.FileName)
            : settings.WriteState(AdapterRecord.FileName, new AdapterRecord(Environment.ProcessId, _start, stopped, recorded).Serialize());
        if (status != 0)
        {
            Host.Log.Write(ModuleLogLevel.Warning, $"the adapter record {settings.StateDirectory}/{AdapterRecord.FileName} could not be written (status {status}: {settings.LastError}); a kept adapter may not be taken back at the next start");
        }
    }

    /// <summary>
    /// At start (under the lock): the adapters an earlier daemon recorded. Each is ours only if it
    /// still is a persistent TAP nobody holds (reopened by name in its namespace). A kept one of a
    /// daemon that stopped cleanly, whose keep still holds (asked for with keep, or KeepAdapters
    /// on), is taken back on no network; every other one is removed. What is not a TAP, is held
    /// by another process, or is gone is left alone and logged. Nothing the record does not name is touched.
    /// </summary>
    private void Recover(IModuleHost host)
    {
        IModuleSettings settings = host.Settings;
        if (settings.StateDirectory is null)
        {
            return;
        }

        int read = settings.ReadState(AdapterRecord.FileName, AdapterRecord.MaxBytes, out byte[]? content);
        if (read == -15)
        {
            return;
        }

        string file = $"{settings.StateDirectory}/{AdapterRecord.FileName}";
        if (read != 0)
        {
            host.Log.Write(ModuleLogLevel.Warning, $"the adapter record {file} could not be read (status {read}: {settings.LastError}); no earlier adapter is taken back or removed");
            return;
        }

        if (AdapterRecord.TryParse(content, out AdapterRecord? record) is string invalid)
        {
            host.Log.Write(ModuleLogLevel.Warning, $"the adapter record {file} is not one ({invalid}); no earlier adapter is taken back or removed");
            _ = settings.DeleteState(AdapterRecord.FileName);
            return;
        }

        string daemon = record!.Stopped ? $"daemon {record.Pid}, stopped" : $"daemon {record.Pid}, which did not stop (killed)";
        if (host.Io is not IModuleTapIo io)
        {
            host.Log.Write(ModuleLogLevel.Warning, $"the adapter record {file} names {record.Adapters.Count} adapters of {daemon}, but this daemon cannot reopen TAPs; they are left alone");
            return;
        }

        foreach (RecordedAdapter recorded in record.Adapters)
        {
            string device = recorded.Namespace is null ? recorded.Name : $"{recorded.Name} in netns {recorded.Namespace}";
            if (!recorded.Kept)
            {
                // Not persistent: it went with its daemon's descriptor. A device by that name now is
                // somebody else's (even a persistent TAP nobody holds), and is not touched.
                host.Log.Write(ModuleLogLevel.Debug, $"recorded adapter {device} of {daemon} was not kept: it went with its daemon");
                continue;
            }

            int status = io.OpenTap(recorded.Name, recorded.Namespace, Offloads, out IModuleIoHandle? tap, out bool persistent);
            if (status != 0)
            {
                string why = status switch
                {
                    -15 => "it is gone",
                    -2 => "it is not a TAP; left alone",
                    -16 => "another process holds it; left alone",
                    _ => $"reopening it failed (status {status}); left alone",
                };
                host.Log.Write(status == -15 ? ModuleLogLevel.Information : ModuleLogLevel.Warning, $"recorded adapter {device} of {daemon}: {why} ({host.Io.LastError})");
                continue;
            }

            if (!persistent)
            {
                // Not a TAP of ours after all: gone between the check and the open, made anew by it; it goes with the handle.
                tap!.Dispose();
                host.Log.Write(ModuleLogLevel.Information, $"recorded adapter {device} of {daemon}: it is gone");
                continue;
            }

            bool adopt = record.Stopped && recorded.Kept && (recorded.KeepAsked || _keepAdapters) && _adapters.Count < MaxAdapters
                && !_adapters.ContainsKey(recorded.Name) && !_adapters.Values.Any(a => a.Unit == recorded.Unit);
            if (adopt && Adopt(host, recorded, tap!) is Adapter adapter)
            {
                host.Log.Write(ModuleLogLevel.Information, $"adapter {device} ({Adapter.Format(recorded.Mac)}, MTU {recorded.Mtu}) of {daemon}: taken back, kept, on no network");
                _adapters.Add(adapter.Name, adapter);
                continue;
            }

            int cleared = io.SetTapPersistent(tap!, false);
            string? clearError = host.Io.LastError;
            tap!.Dispose();
            if (cleared != 0)
            {
                host.Log.Write(ModuleLogLevel.Warning, $"stale adapter {device} of {daemon} could not be removed (status {cleared}: {clearError}); it stays");
                continue;
            }

            string reason = !record.Stopped ? "its daemon was killed"
                : adopt ? "it could not be taken back"
                : "keep is off now";
            host.Log.Write(ModuleLogLevel.Information, $"stale adapter {device} of {daemon} removed ({reason})");
        }

        Record(stopped: false, _adapters.Values);
    }

    /// <summary>A recorded adapter's reopened TAP as an adapter again, watched by the worker; null when that fails (the TAP is left to the caller).</summary>
    private Adapter? Adopt(IModuleHost host, RecordedAdapter recorded, IModuleIoHandle tap)
    {
        if (_worker is null && AdapterWorker.Start(host, out _worker) is int started && started != 0)
        {
            host.Log.Write(ModuleLogLevel.Warning, $"starting the TAP reader: status {started} ({host.Io.LastError})");
            return null;
        }

        _ = host.Io.ConfigureLink(recorded.Name, recorded.Namespace, new LinkSettings { Up = true });
        var adapter = new Adapter(++_nextId, recorded.Unit, recorded.Name, recorded.Namespace, recorded.Mac, recorded.Mtu, tap) { Kept = true, KeepAsked = recorded.KeepAsked };
        if (_worker!.Add(adapter) != 0)
        {
            return null;
        }

        return adapter;
    }

    private static void WriteAdapter(Utf8JsonWriter json, Adapter adapter)
    {
        AdapterCounters counters = adapter.Counters;
        json.WriteString("name", adapter.Name);
        json.WriteString("namespace", adapter.Namespace);
        json.WriteString("network", adapter.Network);
        json.WriteString("role", adapter.Role switch { AdapterRole.Port => "port", AdapterRole.Trunk => "trunk", _ => "none" });
        json.WriteString("mac", Adapter.Format(adapter.Mac));
        json.WriteNumber("mtu", adapter.Mtu);
        json.WriteNumber("unit", adapter.Unit);
        json.WriteBoolean("kept", adapter.Kept);
        json.WriteStartObject("counters");
        json.WriteNumber("framesIn", counters.FramesIn);
        json.WriteNumber("bytesIn", counters.BytesIn);
        json.WriteNumber("gsoIn", counters.GsoIn);
        json.WriteNumber("framesOut", counters.FramesOut);
        json.WriteNumber("bytesOut", counters.BytesOut);
        json.WriteNumber("gsoOut", counters.GsoOut);
        json.WriteNumber("lost", counters.Lost);
        json.WriteNumber("bad", counters.Bad);
        json.WriteNumber("unattached", counters.Unattached);
        json.WriteEndObject();
    }

    private static int Answer(ref ModuleCall call, Action<Utf8JsonWriter> write)
    {
        var output = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(output))
        {
            json.WriteStartObject();
            write(json);
            json.WriteEndObject();
        }

        if (output.WrittenCount > call.Output.Length)
        {
            return call.Fail(-17, string.Create(CultureInfo.InvariantCulture, $"the answer is {output.WrittenCount} bytes and the output buffer {call.Output.Length}; pass at least {output.WrittenCount} (at most {MaxListing})"));
        }

        output.WrittenSpan.CopyTo(call.Output);
        call.OutputLength = output.WrittenCount;
        return 0;
    }

    /// <summary>The factory "NetAdp": answers the trunk contract with the module.</summary>
    private sealed class TrunkFactory(NetAdpModule module) : IComponentFactory
    {
        public string Name => TrunkContracts.NetAdpFactory;

        public object? QueryInterface(Guid interfaceId) => interfaceId == TrunkContracts.FactoryInterfaceV1 ? module : null;
    }
}
