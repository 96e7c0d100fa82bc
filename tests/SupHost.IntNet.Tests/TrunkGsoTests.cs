using SupHost.Abi;
using SupHost.IntNet.Format;
using SupHost.IntNet.Format.Tests;
using SupHost.IntNet.Internal;

namespace SupHost.IntNet.Tests;

/// <summary>
/// A GSO frame the switch sends to a trunk: whole to an end that reported its type, cut into
/// correct segments (parsed by PacketDotNet, checksums by the naive sum: the Format tests'
/// oracle) for an end that did not.
/// </summary>
public sealed class TrunkGsoTests
{
    [Theory]
    [InlineData(false, 1448, 60_000)]
    [InlineData(true, 1428, 40_001)]
    public void A_gso_tcp_frame_goes_whole_to_the_end_that_takes_it_and_as_segments_to_the_end_that_does_not(bool ipv6, int mss, int payload)
    {
        var spec = new FrameSpec(ipv6, Tcp: true, payload, mss, Sequence: 0xFFFF_F000);
        BuiltFrame built = TestFrames.Build(spec);
        var trunk = new RecordingTrunk();
        TrunkConnection connection = Connect(trunk);
        uint tcpType = 1u << (int)(ipv6 ? GsoType.IPv6Tcp : GsoType.IPv4Tcp);
        connection.ReportGsoCapabilities(tcpType, TrunkDirection.Host);
        connection.ReportGsoCapabilities(0, TrunkDirection.Wire);

        byte[] entry = new byte[GsoContext.Size + built.Frame.Length];
        built.Context.Write(entry);
        built.Frame.CopyTo(entry, GsoContext.Size);
        var context = new SwitchContext();
        connection.Transmit(entry, FrameType.Gso, TrunkDirection.Host | TrunkDirection.Wire, context);

        // The host end: the entry itself, once, as GSO.
        (TrunkFrameType Type, TrunkDirection Ends, byte[] Frame) host = Assert.Single(trunk.Sent, s => s.Ends == TrunkDirection.Host);
        Assert.Equal(TrunkFrameType.Gso, host.Type);
        Assert.Equal(entry, host.Frame);

        // The wire end: ordinary frames, each a correct segment, nothing to the host among them.
        List<byte[]> wire = [.. trunk.Sent.Where(s => s.Ends != TrunkDirection.Host).Select(s =>
        {
            Assert.Equal(TrunkDirection.Wire, s.Ends);
            Assert.Equal(TrunkFrameType.Frame, s.Type);
            return s.Frame;
        })];
        Segments.CheckTcp(spec, built, wire);
        Assert.Equal(1 + wire.Count, connection.Counters.FramesOut);
        Assert.Equal(0, connection.Counters.Lost);
    }

    [Fact]
    public void A_gso_frame_for_a_trunk_that_takes_no_gso_reaches_both_ends_as_segments_and_a_refusal_counts_lost()
    {
        var spec = new FrameSpec(IPv6: false, Tcp: true, PayloadLength: 10_000, MaxSegment: 1_000);
        BuiltFrame built = TestFrames.Build(spec);
        var trunk = new RecordingTrunk { Refuse = 3 };
        TrunkConnection connection = Connect(trunk);
        byte[] entry = new byte[GsoContext.Size + built.Frame.Length];
        built.Context.Write(entry);
        built.Frame.CopyTo(entry, GsoContext.Size);

        connection.Transmit(entry, FrameType.Gso, TrunkDirection.Host | TrunkDirection.Wire, new SwitchContext());

        Assert.All(trunk.Sent, s => Assert.Equal((TrunkFrameType.Frame, TrunkDirection.Host | TrunkDirection.Wire), (s.Type, s.Ends)));
        Segments.CheckTcp(spec, built, [.. trunk.Sent.Select(s => s.Frame)]);
        Assert.Equal(10 - 3, connection.Counters.FramesOut);
        Assert.Equal(3, connection.Counters.Lost);
    }

    private static TrunkConnection Connect(RecordingTrunk trunk)
    {
        var network = new Network("gso", TrunkType.NetFlt, "t0", OpenFlags.None, 0, new SwitchContextPool());
        var connection = new TrunkConnection(network, TrunkType.NetFlt, "t0");
        connection.Attach(trunk);
        return connection;
    }

    /// <summary>A trunk driver's end that keeps what it is sent; the first <see cref="Refuse"/> it refuses (a full queue).</summary>
    private sealed class RecordingTrunk : ITrunkPort
    {
        public List<(TrunkFrameType Type, TrunkDirection Ends, byte[] Frame)> Sent { get; } = [];

        public int Refuse { get; set; }

        public string Name => "t0";

        public TrunkState SetState(TrunkState state) => TrunkState.Inactive;

        public void NotifyMacAddress(ReadOnlySpan<byte> mac)
        {
        }

        public bool WaitForIdle(int timeoutMilliseconds) => true;

        public int Transmit(ReadOnlySpan<byte> frame, TrunkFrameType type, TrunkDirection destination)
        {
            Sent.Add((type, destination, frame.ToArray()));
            if (Refuse > 0)
            {
                Refuse--;
                return -53;
            }

            return 0;
        }

        public void Disconnect()
        {
        }
    }
}
