using SupHost.Abi;
using SupHost.IntNet.Format;
using SupHost.IntNet.Format.Tests;
using SupHost.IntNet.Internal;

namespace SupHost.IntNet.Tests;

/// <summary>
/// GSO frames a driver module delivers (ISwitchPort.Receive: its own buffer, which the switch
/// validates where it lies instead of copying): a valid one goes whole to a port that takes its
/// type and as correct segments to one that does not, the sender's bytes untouched; a bad one is
/// refused, counted and reaches nobody, as from a client's ring.
/// </summary>
public sealed class DriverPortGsoTests
{
    [Theory]
    [InlineData(false, 1448, 60_000)]
    [InlineData(true, 1428, 40_001)]
    public void A_gso_frame_from_a_driver_goes_whole_to_a_port_that_takes_it_and_as_segments_to_one_that_does_not(bool ipv6, int mss, int payload)
    {
        var spec = new FrameSpec(ipv6, Tcp: true, payload, mss);
        BuiltFrame built = TestFrames.Build(spec);
        (DriverPort source, RecordingDriver whole, RecordingDriver cut, Network network) = Connect(ipv6 ? GsoType.IPv6Tcp : GsoType.IPv4Tcp);
        byte[] entry = Entry(built);
        byte[] before = entry.ToArray();

        Assert.True(source.Receive(entry, TrunkFrameType.Gso, TrunkDirection.Host));

        (TrunkFrameType Type, byte[] Frame) taken = Assert.Single(whole.Sent);
        Assert.Equal(TrunkFrameType.Gso, taken.Type);
        Assert.Equal(before, taken.Frame);
        Assert.All(cut.Sent, s => Assert.Equal(TrunkFrameType.Frame, s.Type));
        Segments.CheckTcp(spec, built, [.. cut.Sent.Select(s => s.Frame)]);
        Assert.Equal(before, entry);
        Assert.Equal((0, 0), (source.Counters.Bad, network.Counters.Bad));
        Assert.Equal(1, network.Counters.Switched);
    }

    public static TheoryData<string> BadEntries => ["headers disagree", "no segment size", "context alone", "beyond the largest entry"];

    [Theory]
    [MemberData(nameof(BadEntries))]
    public void A_bad_gso_frame_from_a_driver_is_refused_counted_and_reaches_nobody(string how)
    {
        BuiltFrame built = TestFrames.Build(new FrameSpec(IPv6: false, Tcp: true, 20_000, 1448));
        (DriverPort source, RecordingDriver whole, RecordingDriver cut, Network network) = Connect(GsoType.IPv4Tcp);
        byte[] entry = Entry(built);
        switch (how)
        {
            case "headers disagree":
                // The TCP data offset says 24 bytes of header, the context 20.
                entry[GsoContext.Size + built.TransportOffset + 12] = 0x60;
                break;
            case "no segment size":
                (built.Context with { MaxSegmentSize = 0 }).Write(entry);
                break;
            case "context alone":
                entry = entry[..GsoContext.Size];
                break;
            default:
                entry = [.. entry, .. new byte[SwitchContext.MaxGsoEntry]];
                break;
        }

        Assert.False(source.Receive(entry, TrunkFrameType.Gso, TrunkDirection.Host));

        Assert.Empty(whole.Sent);
        Assert.Empty(cut.Sent);
        Assert.Equal((1, 1), (source.Counters.Bad, network.Counters.Bad));
        Assert.Equal(0, network.Counters.Switched);
    }

    /// <summary>A network with three driver ports: the sender, one for TestFrames' destination that takes <paramref name="type"/> whole, one with no address yet (it gets unicast too) that takes no GSO.</summary>
    private static (DriverPort Source, RecordingDriver Whole, RecordingDriver Cut, Network Network) Connect(GsoType type)
    {
        var network = new Network("gso", TrunkType.None, string.Empty, OpenFlags.None, 0, new SwitchContextPool());
        var source = new DriverPort(1, network, "tap", "t6a", new RecordingDriver(), _ => { });
        var wholeDriver = new RecordingDriver();
        var whole = new DriverPort(2, network, "tap", "t6b", wholeDriver, _ => { });
        var cutDriver = new RecordingDriver();
        var cut = new DriverPort(3, network, "tap", "t6c", cutDriver, _ => { });
        source.ReportMacAddress(TestFrames.SourceMac);
        whole.ReportMacAddress(TestFrames.DestinationMac);
        whole.ReportGsoCapabilities(1u << (int)type, TrunkDirection.Host);
        foreach (DriverPort port in new[] { source, whole, cut })
        {
            network.Add(port);
            port.SetActive(true);
        }

        return (source, wholeDriver, cutDriver, network);
    }

    private static byte[] Entry(BuiltFrame built)
    {
        byte[] entry = new byte[GsoContext.Size + built.Frame.Length];
        built.Context.Write(entry);
        built.Frame.CopyTo(entry, GsoContext.Size);
        return entry;
    }

    /// <summary>A driver's end that keeps what the switch sends it.</summary>
    private sealed class RecordingDriver : ITrunkPort
    {
        public List<(TrunkFrameType Type, byte[] Frame)> Sent { get; } = [];

        public string Name => "t6";

        public TrunkState SetState(TrunkState state) => TrunkState.Active;

        public void NotifyMacAddress(ReadOnlySpan<byte> mac)
        {
        }

        public bool WaitForIdle(int timeoutMilliseconds) => true;

        public int Transmit(ReadOnlySpan<byte> frame, TrunkFrameType type, TrunkDirection destination)
        {
            Sent.Add((type, frame.ToArray()));
            return 0;
        }

        public void Disconnect()
        {
        }
    }
}
