using System.Text;
using SupHost.Abi;
using SupHost.IntNet.Internal;

namespace SupHost.IntNet;

/// <summary>NetTrunk: gives an existing network a NetFlt trunk (a host interface), or takes its trunk away.</summary>
public sealed partial class IntNetModule
{
    /// <summary>
    /// Operation 0 attaches: input "NETWORK\0INTERFACE" (UTF-8; the interface 1 to 63 bytes, "IF"
    /// or "NETNS/IF"): the network's trunk becomes NetFlt on that interface, through the NetFlt
    /// factory (-56 without the driver or the interface, -57 when the network has a trunk or the
    /// interface is another network's). Operation 1 detaches: input "NETWORK"; the trunk is
    /// disconnected and the network has none (-15 when it had none). Only the network's owner (or
    /// root) may: -10 otherwise.
    /// </summary>
    [SupEntryPoint]
    public int NetTrunk(ref ModuleCall call)
    {
        if (call.Operation > 1)
        {
            return call.Fail(-2, $"operation {call.Operation}: 0 attaches a host interface, 1 detaches the trunk");
        }

        ReadOnlySpan<byte> input = call.Input;
        int split = input.IndexOf((byte)0);
        string name, trunkName = string.Empty;
        try
        {
            var utf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);
            name = utf8.GetString(split < 0 ? input : input[..split]);
            if (split >= 0)
            {
                ReadOnlySpan<byte> rest = input[(split + 1)..];
                int end = rest.IndexOf((byte)0);
                trunkName = utf8.GetString(end < 0 ? rest : rest[..end]);
            }
        }
        catch (DecoderFallbackException)
        {
            return call.Fail(-22, "the names are not valid UTF-8");
        }

        if (Encoding.UTF8.GetByteCount(name) is 0 or > 127)
        {
            return call.Fail(-22, "the network name is 1 to 127 bytes");
        }

        if (call.Operation == 0 && Encoding.UTF8.GetByteCount(trunkName) is 0 or > 63)
        {
            return call.Fail(-22, "the host interface is 1 to 63 bytes");
        }

        return call.Operation == 0 ? AttachTrunk(ref call, name, trunkName) : DetachTrunk(ref call, name);
    }

    private int AttachTrunk(ref ModuleCall call, string name, string trunkName)
    {
        TrunkConnection? connection;
        lock (_lock)
        {
            if (!_networks.TryGetValue(name, out Network? network))
            {
                return call.Fail(-15, $"no network is named '{name}'");
            }

            if (!Host.Objects.VerifyAccess(call.Session, network.ObjectHandle) || (call.Session.UserId != 0 && call.Session.UserId != network.OwnerUid))
            {
                return call.Fail(-10, $"network '{name}' belongs to uid {network.OwnerUid}; uid {call.Session.UserId} may not change its trunk");
            }

            if (network.Trunk is not null || network.TrunkType is TrunkType.NetFlt or TrunkType.NetAdp)
            {
                return call.Fail(-57, $"network '{name}' has trunk {network.TrunkType} '{network.TrunkName}'; detach it first");
            }

            if (Host.Components.Query(TrunkContracts.NetFltFactory, TrunkContracts.FactoryInterfaceV1) is not ITrunkFactory factory)
            {
                return call.Fail(-56, $"no NetFlt driver is loaded (no factory '{TrunkContracts.NetFltFactory}' answers the trunk interface; supctl module load netflt)");
            }

            connection = new TrunkConnection(network, TrunkType.NetFlt, trunkName);
            TrunkConnectFlags connect = (network.Flags & OpenFlags.SharedMacOnWire) != OpenFlags.None ? TrunkConnectFlags.NoPromiscuous : TrunkConnectFlags.None;
            int status = factory.CreateAndConnect(trunkName, connection, connect, out ITrunkPort? trunk);
            if (status != 0 || trunk is null)
            {
                return call.Fail(status == 0 ? -56 : status, $"NetFlt '{trunkName}' for network '{name}': status {status}{(status == -56 ? " (no such interface)" : status == -57 ? " (it is another network's trunk)" : string.Empty)}");
            }

            connection.Attach(trunk);
            network.TrunkType = TrunkType.NetFlt;
            network.TrunkName = trunkName;
            network.Trunk = connection;
            connection.Refresh();
        }

        return 0;
    }

    private int DetachTrunk(ref ModuleCall call, string name)
    {
        TrunkConnection? trunk;
        lock (_lock)
        {
            if (!_networks.TryGetValue(name, out Network? network))
            {
                return call.Fail(-15, $"no network is named '{name}'");
            }

            if (!Host.Objects.VerifyAccess(call.Session, network.ObjectHandle) || (call.Session.UserId != 0 && call.Session.UserId != network.OwnerUid))
            {
                return call.Fail(-10, $"network '{name}' belongs to uid {network.OwnerUid}; uid {call.Session.UserId} may not change its trunk");
            }

            trunk = network.Trunk;
            if (trunk is null)
            {
                return call.Fail(-15, $"network '{name}' has no trunk");
            }

            network.Trunk = null;
            network.TrunkType = TrunkType.None;
            network.TrunkName = string.Empty;
        }

        trunk.DisconnectFromSwitch();
        return 0;
    }
}
