using System.Buffers.Binary;
using System.Text;
using SupHost.Client;
using SupHost.Protocol;

namespace Supd.Tests;

/// <summary>
/// Issue 10, item 6: the trunk contracts of SupHost.Abi (ITrunkFactory, ISwitchPort, ITrunkPort,
/// found by TrunkContracts.FactoryInterfaceV1 through the component registry) between two modules
/// in separate load contexts: test-switch plays IntNet, test-trunk a trunk driver. They connect,
/// exchange frames both ways, and either can be unloaded first and is collected while the other
/// stays, because each side disconnects the other at unload as the contract says.
/// </summary>
public sealed class TrunkContractTests : IDisposable
{
    private readonly Daemon _daemon = Daemon.Start();

    [Fact]
    public void A_switch_and_a_trunk_driver_in_two_modules_connect_through_the_registry_exchange_frames_and_either_can_unload_first()
    {
        using SupClient client = _daemon.Connect();
        int fds = _daemon.FdCount();
        ulong switchModule = Modules.Loaded(client, "test-switch");

        // No driver yet: no factory answers the contract.
        Assert.Equal(SupStatus.TrunkNotFound, Connect(client, switchModule, "loop0").Status);

        ulong trunkModule = Modules.Loaded(client, "test-trunk");
        Assert.Equal(SupStatus.TrunkNotFound, Connect(client, switchModule, "missing").Status);
        (SupStatus connected, byte[] mac, uint gso) = Connect(client, switchModule, "loop0");
        Assert.Equal(SupStatus.Success, connected);
        Assert.Equal([0x02, 0, 0, 0, 0, 0x01], mac);
        Assert.Equal(0b110u, gso);
        Assert.Equal(SupStatus.TrunkBusy, Connect(client, switchModule, "loop0").Status);
        Assert.Equal("loop0 Active 0 connected", State(client, trunkModule));

        // The switch transmits to the wire; the driver loops each frame back from the host end, in order.
        string[] frames = ["first frame", "second frame", "third frame"];
        foreach (string frame in frames)
        {
            Assert.Equal(SupStatus.Success, Call(client, switchModule, "Send", Encoding.UTF8.GetBytes(frame)).Status);
        }

        Poll.Until(() => Received(client, switchModule).Count >= 3, "the trunk to deliver the looped frames");
        Assert.Equal(frames.Select(f => (2, f)), Received(client, switchModule));

        // The driver delivers from the wire end on its own.
        Assert.Equal([1], Call(client, trunkModule, "Inject", Encoding.UTF8.GetBytes("loop0|from the wire")).Payload);
        Assert.Equal((1, "from the wire"), Received(client, switchModule)[^1]);

        // The driver unloads first: its Terminate disconnects the trunk from the switch, which then
        // has none, and the driver's load context is collected while the switch stays loaded.
        Assert.Equal(SupStatus.ModuleUnloaded, client.FreeModule(trunkModule));
        SupException noTrunk = Assert.Throws<SupException>(() => Call(client, switchModule, "Send", "after the driver"u8.ToArray()));
        Assert.Equal(SupStatus.ObjectDying, noTrunk.Status);
        Poll.Until(() => client.QueryStatus() is { } s && s.Modules == 1 + Daemon.StartModuleCount && s.ModulesCollected == s.ModulesUnloaded, "test-trunk's load context to be collected with test-switch loaded");

        // Again, and now the switch unloads first: its Terminate disconnects the trunk, the driver
        // forgets it, and the switch's load context is collected while the driver stays.
        trunkModule = Modules.Loaded(client, "test-trunk");
        Assert.Equal(SupStatus.Success, Connect(client, switchModule, "loop1").Status);
        Assert.Equal("loop1 Active 0 connected", State(client, trunkModule));
        Assert.Equal(SupStatus.ModuleUnloaded, client.FreeModule(switchModule));
        Assert.Equal(string.Empty, State(client, trunkModule));
        Poll.Until(() => client.QueryStatus() is { } s && s.Modules == 1 + Daemon.StartModuleCount && s.ModulesCollected == s.ModulesUnloaded, "test-switch's load context to be collected with test-trunk loaded");

        Assert.Equal(SupStatus.ModuleUnloaded, client.FreeModule(trunkModule));
        Poll.Until(() => client.QueryStatus() is { } s && s.Modules == Daemon.StartModuleCount && s.ModulesCollected == s.ModulesUnloaded, "both load contexts to be collected");
        Poll.Until(() => _daemon.FdCount() == fds, () => $"the daemon's descriptors to return to {fds} (now {_daemon.FdCount()}: {_daemon.FdTargets()})");
    }

    public void Dispose() => _daemon.Dispose();

    private static SupReply Call(SupClient client, ulong module, string entry, byte[] input) =>
        client.CallModule(client.GetSymbol(module, entry), 0, 0, input, 4096);

    private static (SupStatus Status, byte[] Mac, uint Gso) Connect(SupClient client, ulong module, string trunk)
    {
        SupReply reply = Call(client, module, "Connect", Encoding.UTF8.GetBytes(trunk));
        Assert.Equal(SupStatus.Success, reply.Status);
        byte[] payload = reply.Payload;
        int macLength = payload.Length - 8;
        return ((SupStatus)BinaryPrimitives.ReadInt32LittleEndian(payload), payload[4..(4 + macLength)], BinaryPrimitives.ReadUInt32LittleEndian(payload.AsSpan(4 + macLength)));
    }

    private static string State(SupClient client, ulong module) => Encoding.UTF8.GetString(Call(client, module, "State", []).Payload);

    private static List<(int Source, string Frame)> Received(SupClient client, ulong module)
    {
        byte[] data = Call(client, module, "Received", []).Payload;
        var frames = new List<(int, string)>();
        for (int at = 0; at < data.Length;)
        {
            int length = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(at + 1));
            frames.Add((data[at], Encoding.UTF8.GetString(data, at + 3, length)));
            at += 3 + length;
        }

        return frames;
    }
}
