using System.Text;
using SupHost.Abi;

[assembly: SupModule("test-trunk", typeof(SupHost.TestModules.Trunk.TrunkModule))]

namespace SupHost.TestModules.Trunk;

/// <summary>
/// A trunk driver for the tests: its factory "test-trunk" answers TrunkContracts.FactoryInterfaceV1
/// and connects interfaces named anything but "missing"; each trunk loops what the switch transmits
/// back to the switch from the host end, on a worker of its own. At unload it disconnects every
/// trunk from its switch, as a real driver must, so that neither module keeps the other alive.
/// </summary>
public sealed class TrunkModule : ISupModule, IComponentFactory, ITrunkFactory
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LoopTrunk> _trunks = new(StringComparer.Ordinal);
    private IModuleHost? _host;

    public string Name => "test-trunk";

    public void Initialize(IModuleHost host)
    {
        _host = host;
        host.Components.Register(this);
    }

    public void Terminate()
    {
        LoopTrunk[] trunks;
        lock (_lock)
        {
            trunks = [.. _trunks.Values];
            _trunks.Clear();
        }

        foreach (LoopTrunk trunk in trunks)
        {
            trunk.DisconnectFromSwitch();
        }
    }

    public object? QueryInterface(Guid interfaceId) => interfaceId == TrunkContracts.FactoryInterfaceV1 ? this : null;

    public int CreateAndConnect(string trunkName, ISwitchPort switchPort, TrunkConnectFlags flags, out ITrunkPort? trunk)
    {
        trunk = null;
        if (trunkName == "missing")
        {
            return -56;
        }

        var created = new LoopTrunk(trunkName, switchPort, this);
        lock (_lock)
        {
            if (!_trunks.TryAdd(trunkName, created))
            {
                return -57;
            }
        }

        switchPort.ReportMacAddress([0x02, 0, 0, 0, 0, 0x01]);
        switchPort.ReportGsoCapabilities((1u << 1) | (1u << 2), TrunkDirection.Wire);
        switchPort.ReportPromiscuousMode(false);
        _host!.Threads.Start($"trunk-{trunkName}", created.Run);
        trunk = created;
        return 0;
    }

    /// <summary>Delivers the input to the switch from the wire end of the argument's trunk (input: "name|payload"); answers 1 when the switch took it.</summary>
    [SupEntryPoint]
    public int Inject(ref ModuleCall call)
    {
        string[] parts = Encoding.UTF8.GetString(call.Input).Split('|', 2);
        LoopTrunk? trunk = Find(parts[0]);
        if (trunk is null)
        {
            return -15;
        }

        call.Output[0] = trunk.Deliver(Encoding.UTF8.GetBytes(parts[1]), TrunkDirection.Wire) ? (byte)1 : (byte)0;
        call.OutputLength = 1;
        return 0;
    }

    /// <summary>
    /// Registers one more factory for the same driver under the name in the input (UTF-8), such as
    /// "NetFlt", so that IntNet finds it for that trunk type; it goes when the module unloads.
    /// </summary>
    [SupEntryPoint]
    public int RegisterAs(ref ModuleCall call)
    {
        string name = Encoding.UTF8.GetString(call.Input);
        if (name.Length is 0 or > 63)
        {
            return -2;
        }

        _host!.Components.Register(new Alias(name, this));
        return 0;
    }

    /// <summary>Each trunk as "name state frames-transmitted connected" lines, in name order.</summary>
    [SupEntryPoint]
    public int State(ref ModuleCall call)
    {
        string text;
        lock (_lock)
        {
            text = string.Join('\n', _trunks.Values.OrderBy(t => t.Name, StringComparer.Ordinal).Select(t => t.Describe()));
        }

        int length = Encoding.UTF8.GetBytes(text, call.Output);
        call.OutputLength = length;
        return 0;
    }

    internal void Forget(LoopTrunk trunk)
    {
        lock (_lock)
        {
            if (_trunks.TryGetValue(trunk.Name, out LoopTrunk? known) && known == trunk)
            {
                _trunks.Remove(trunk.Name);
            }
        }
    }

    private LoopTrunk? Find(string name)
    {
        lock (_lock)
        {
            return _trunks.GetValueOrDefault(name);
        }
    }

    /// <summary>The driver's factory under another name.</summary>
    private sealed class Alias(string name, TrunkModule driver) : IComponentFactory
    {
        public string Name { get; } = name;

        public object? QueryInterface(Guid interfaceId) => driver.QueryInterface(interfaceId);
    }
}
