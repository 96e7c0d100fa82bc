using System.Net.NetworkInformation;
using SupHost.Client;

namespace SupHost.Bench;

/// <summary>Through the switch: an interface on a network of the bench's daemon.</summary>
internal sealed class SwitchFramePort : IFramePort
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly SupClient _client;
    private readonly IntNetInterface _nic;

    public SwitchFramePort(string runDirectory, string network, byte[] mac)
    {
        _client = SupClient.Connect(new SupClientOptions { RunDirectory = runDirectory });
        _nic = _client.OpenIntNetInterface(new IntNetOpenOptions { Network = network });
        _nic.SetMac(new PhysicalAddress(mac));
        _nic.SetActive(true);
    }

    public IntNetCounters Counters => _nic.Counters;

    public void Send(ReadOnlySpan<byte> frame) => _nic.Send(frame);

    public int Receive(Span<byte> destination)
    {
        int length = _nic.Receive(destination, Patience);
        return length != 0 ? length : throw new TimeoutException("no frame came through the switch for 30 s (lost?)");
    }

    public void Dispose()
    {
        _nic.Dispose();
        _client.Dispose();
    }
}
