using System.Text;
using SupHost.Abi;
using SupHost.IntNet.Internal;

namespace SupHost.IntNet;

/// <summary>
/// Ports other modules drive (NetAdp's TAPs), connected through the component registry: the
/// factory "IntNet" answers <see cref="PortContracts.NetworkPortsInterfaceV1"/> (docs/modules.md §13).
/// </summary>
public sealed partial class IntNetModule : INetworkPorts
{
    private const int MaxDeviceLength = 64;
    private ulong _portFactory;

    /// <inheritdoc/>
    public int Connect(ISessionIdentity requester, string network, string kind, string device, ITrunkPort port, out ISwitchPort? switchPort)
    {
        switchPort = null;
        if (requester is null || port is null || kind is null || device is null || !IsKind(kind) || device.Length > MaxDeviceLength)
        {
            return -2;
        }

        if (network is null || Encoding.UTF8.GetByteCount(network) is 0 or > 127 || network.Contains('\0', StringComparison.Ordinal))
        {
            return -22;
        }

        DriverPort made;
        TrunkConnection? trunk;
        lock (_lock)
        {
            if (_host is null || _portFactory == 0)
            {
                return -21;
            }

            var request = new OpenRequest(OpenFlags.None, TrunkType.WhateverNone, 0, 0, Persistent: false, network, string.Empty);
            if (!_networks.TryGetValue(network, out Network? joined))
            {
                if (CreateNetwork(requester, request, persistent: false, out joined) is (int refused, string why))
                {
                    Host.Log.Write(ModuleLogLevel.Warning, $"a {kind} port ({device}) on network '{network}': {why}");
                    return refused;
                }
            }
            else if (CheckJoin(requester, joined!, request) is (int refused, string why))
            {
                Host.Log.Write(ModuleLogLevel.Information, $"a {kind} port ({device}) on network '{network}': {why}");
                return refused;
            }

            made = new DriverPort(NextPortId(), joined!, kind, device, port, CloseDriverPort);
            made.SetActive(true);
            joined!.Add(made);
            trunk = joined.Trunk;
        }

        made.Start();
        trunk?.Refresh();
        switchPort = made;
        return 0;
    }

    /// <summary>Registers the factory through which drivers connect ports (from Initialize).</summary>
    private void RegisterPortFactory() => _portFactory = Host.Components.Register(new PortFactory(this));

    /// <summary>Removes the factory (from Terminate, before the networks go), so no port connects meanwhile.</summary>
    private void DeregisterPortFactory()
    {
        lock (_lock)
        {
            if (_portFactory != 0)
            {
                _ = Host.Components.Deregister(_portFactory);
                _portFactory = 0;
            }
        }
    }

    /// <summary>A driver's port left (its driver disconnected it): out of its network, which goes with its last port unless persistent.</summary>
    private void CloseDriverPort(DriverPort port)
    {
        List<TrunkConnection> disconnect = [];
        TrunkConnection? trunk = null;
        lock (_lock)
        {
            Network network = port.Network;
            if (network.Remove(port))
            {
                trunk = network.Trunk;
                if (network.Ports.Length == 0 && !network.Persistent && !network.Destroyed)
                {
                    Unlink(network, disconnect);
                    trunk = null;
                }
            }
        }

        trunk?.Refresh();
        foreach (TrunkConnection gone in disconnect)
        {
            gone.DisconnectFromSwitch();
        }
    }

    private static bool IsKind(string kind) =>
        kind.Length is >= 1 and <= 16 && kind.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');

    /// <summary>The factory "IntNet": answers the ports contract with the module.</summary>
    private sealed class PortFactory(IntNetModule module) : IComponentFactory
    {
        public string Name => PortContracts.IntNetFactory;

        public object? QueryInterface(Guid interfaceId) => interfaceId == PortContracts.NetworkPortsInterfaceV1 ? module : null;
    }
}
