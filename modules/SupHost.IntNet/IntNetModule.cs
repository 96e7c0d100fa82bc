using SupHost.Abi;
using SupHost.IntNet.Internal;

[assembly: SupModule("intnet", typeof(SupHost.IntNet.IntNetModule))]

namespace SupHost.IntNet;

/// <summary>
/// The internal network switch (VirtualBox's SrvIntNetR0) as a module: named networks of ports, a
/// client's interface one kind of port, with a shared buffer and two doorbells each; switch workers
/// that drain the send rings; trunks to the NetFlt and NetAdp drivers found through the component
/// registry; capture; listings. The entry points and layouts are in docs/intnet.md.
/// </summary>
public sealed partial class IntNetModule : ISupModule
{
    /// <summary>The most interfaces (and other ports) a network takes, as the original.</summary>
    public const int MaxPortsPerNetwork = 1040;

    /// <summary>The largest ring an open may ask for (16 MiB).</summary>
    public const int MaxRingSize = 16 << 20;

    private const int PageSize = 4096;
    private const int CaptureReceiveSize = 4 << 20;
    private const int CaptureSendSize = 32;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Network> _networks = new(StringComparer.Ordinal);
    private readonly SwitchContextPool _contexts = new();
    private readonly List<SwitchWorker> _workers = [];
    private IModuleHost? _host;
    private uint _networkType;
    private uint _interfaceType;
    private uint _captureType;
    private uint _nextPortId;
    private int _nextWorker;

    private IModuleHost Host => _host ?? throw new InvalidOperationException("the intnet module is not initialized");

    /// <inheritdoc/>
    public void Initialize(IModuleHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        _host = host;
        _networkType = host.Objects.RegisterType("intnet-network", clientCreatable: false);
        _interfaceType = host.Objects.RegisterType("intnet-interface", clientCreatable: false);
        _captureType = host.Objects.RegisterType("intnet-capture", clientCreatable: false);
        RegisterPortFactory();
    }

    /// <inheritdoc/>
    public void Terminate()
    {
        // Sessions have ended (their interfaces with them) before a module terminates; what is left
        // are persistent networks, trunks and drivers' ports: disconnect them so the drivers let go of this module.
        DeregisterPortFactory();
        List<Network> networks;
        lock (_lock)
        {
            networks = [.. _networks.Values];
            _networks.Clear();
            foreach (Network network in networks)
            {
                network.Destroyed = true;
            }
        }

        foreach (Network network in networks)
        {
            Teardown(network);
        }

        StopQemu();
        foreach (SwitchWorker worker in _workers)
        {
            worker.Dispose();
        }

        _workers.Clear();
    }

    /// <summary>
    /// Picks the worker with the fewest interfaces (ties: in turn), under the lock. The workers start
    /// with the first interface, so that an idle switch holds no thread and no descriptor.
    /// </summary>
    private SwitchWorker PickWorker()
    {
        if (_workers.Count == 0)
        {
            int workers = Math.Clamp(Environment.ProcessorCount, 1, 2);
            for (int i = 0; i < workers; i++)
            {
                _workers.Add(SwitchWorker.Start(Host, $"switch-{i}", _contexts));
            }
        }

        SwitchWorker best = _workers[_nextWorker++ % _workers.Count];
        foreach (SwitchWorker worker in _workers)
        {
            if (worker.Count < best.Count)
            {
                best = worker;
            }
        }

        return best;
    }

    private uint NextPortId()
    {
        // 0 and 0xffffffff name the trunk's ends in capture records.
        _nextPortId = _nextPortId is 0 or >= 0xfffffffe ? 1 : _nextPortId + 1;
        return _nextPortId;
    }
}
