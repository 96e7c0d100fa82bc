using System.Buffers.Binary;
using System.Text;
using SupHost.Abi;

[assembly: SupModule("test-switch", typeof(SupHost.TestModules.Switch.SwitchModule))]

namespace SupHost.TestModules.Switch;

/// <summary>
/// A switch for the tests: finds the "test-trunk" factory through the component registry by
/// TrunkContracts.FactoryInterfaceV1, connects one trunk, transmits what a call gives it and
/// records what the trunk delivers. At unload it disconnects its trunk, as IntNet must.
/// </summary>
public sealed class SwitchModule : ISupModule, ISwitchPort
{
    private readonly Lock _lock = new();
    private readonly List<(TrunkDirection Source, byte[] Frame)> _received = [];
    private IModuleHost? _host;
    private ITrunkPort? _trunk;
    private byte[] _hostMac = [];
    private uint _gsoTypes;

    public void Initialize(IModuleHost host) => _host = host;

    public void Terminate()
    {
        ITrunkPort? trunk;
        lock (_lock)
        {
            (trunk, _trunk) = (_trunk, null);
        }

        trunk?.Disconnect();
    }

    /// <summary>Connects the trunk the input names; answers the status as an int32, then the MAC the trunk reported and its GSO types (uint32).</summary>
    [SupEntryPoint]
    public int Connect(ref ModuleCall call)
    {
        int status;
        if (_host!.Components.Query("test-trunk", TrunkContracts.FactoryInterfaceV1) is not ITrunkFactory factory)
        {
            status = -56;
        }
        else
        {
            status = factory.CreateAndConnect(Encoding.UTF8.GetString(call.Input), this, TrunkConnectFlags.None, out ITrunkPort? trunk);
            if (status == 0)
            {
                lock (_lock)
                {
                    _trunk = trunk;
                }

                _ = trunk!.SetState(TrunkState.Active);
            }
        }

        BinaryPrimitives.WriteInt32LittleEndian(call.Output, status);
        lock (_lock)
        {
            _hostMac.CopyTo(call.Output[4..]);
            BinaryPrimitives.WriteUInt32LittleEndian(call.Output[(4 + _hostMac.Length)..], _gsoTypes);
            call.OutputLength = 8 + _hostMac.Length;
        }

        return 0;
    }

    /// <summary>Transmits the input to the trunk's wire end; returns Transmit's status, or -21 without a trunk.</summary>
    [SupEntryPoint]
    public int Send(ref ModuleCall call)
    {
        ITrunkPort? trunk;
        lock (_lock)
        {
            trunk = _trunk;
        }

        return trunk?.Transmit(call.Input, TrunkFrameType.Frame, TrunkDirection.Wire) ?? -21;
    }

    /// <summary>What the trunk delivered, in order: per frame a byte of its source end, a uint16 length, the bytes.</summary>
    [SupEntryPoint]
    public int Received(ref ModuleCall call)
    {
        int at = 0;
        lock (_lock)
        {
            foreach ((TrunkDirection source, byte[] frame) in _received)
            {
                call.Output[at] = (byte)source;
                BinaryPrimitives.WriteUInt16LittleEndian(call.Output[(at + 1)..], (ushort)frame.Length);
                frame.CopyTo(call.Output[(at + 3)..]);
                at += 3 + frame.Length;
            }
        }

        call.OutputLength = at;
        return 0;
    }

    public SwitchDecision PreReceive(ReadOnlySpan<byte> headers, TrunkDirection source) =>
        headers.Length < 14 ? SwitchDecision.Drop : (headers[0] & 1) != 0 ? SwitchDecision.Broadcast : SwitchDecision.IntNet;

    public bool Receive(ReadOnlySpan<byte> frame, TrunkFrameType type, TrunkDirection source)
    {
        byte[] copy = frame.ToArray();
        lock (_lock)
        {
            if (_trunk is null)
            {
                return false;
            }

            _received.Add((source, copy));
        }

        return true;
    }

    public void ReportMacAddress(ReadOnlySpan<byte> mac)
    {
        byte[] copy = mac.ToArray();
        lock (_lock)
        {
            _hostMac = copy;
        }
    }

    public void ReportPromiscuousMode(bool promiscuous)
    {
    }

    public void ReportGsoCapabilities(uint gsoTypes, TrunkDirection destination)
    {
        lock (_lock)
        {
            _gsoTypes = gsoTypes;
        }
    }

    public void Disconnect(ITrunkPort trunk)
    {
        lock (_lock)
        {
            if (_trunk == trunk)
            {
                _trunk = null;
            }
        }
    }
}
