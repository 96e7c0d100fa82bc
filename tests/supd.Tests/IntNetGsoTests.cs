using System.Buffers.Binary;
using PacketDotNet;
using SupHost.Client;
using SupHost.IntNet.Format;

namespace Supd.Tests;

/// <summary>
/// Issue 11, item 4 (GSO in the switch) over the real daemon: a GSO super-frame a client sends goes
/// whole to an interface that takes GSO, and cut into ordinary frames for one opened without GSO
/// (IntNetOpenOptions.AcceptGso false), each parsed by PacketDotNet.
/// </summary>
public sealed class IntNetGsoTests : IClassFixture<DaemonFixture>
{
    private static readonly byte[] MacSender = [0x02, 0x65, 0, 0, 0, 0x01];
    private static readonly byte[] MacPlain = [0x02, 0x65, 0, 0, 0, 0x02];

    private readonly Daemon _daemon;

    public IntNetGsoTests(DaemonFixture fixture) => _daemon = fixture.Daemon;

    [Theory]
    [InlineData(false, 10_000, 1448)]
    [InlineData(false, 65_000, 1460)]
    [InlineData(true, 20_000, 1440)]
    [InlineData(true, 2_000, 536)]
    public void A_gso_tcp_frame_reaches_a_receiver_without_gso_as_correct_segments(bool ipv6, int payloadLength, int mss)
    {
        string name = $"gso-{Guid.NewGuid().ToString("N")[..8]}";
        using SupClient client = _daemon.Connect();
        using IntNetInterface sender = client.OpenIntNetInterface(new IntNetOpenOptions { Network = name });
        using IntNetInterface plain = client.OpenIntNetInterface(new IntNetOpenOptions { Network = name, AcceptGso = false });
        using IntNetInterface whole = client.OpenIntNetInterface(new IntNetOpenOptions { Network = name });
        sender.SetActive(true);
        plain.SetActive(true);
        whole.SetActive(true);
        whole.SetPromiscuous(true);
        plain.SetMac(new System.Net.NetworkInformation.PhysicalAddress(MacPlain));
        System.Text.Json.JsonElement ports = IntNetHarness.Show(client, name).GetProperty("ports");
        Assert.True(ports[0].GetProperty("gso").GetBoolean());
        Assert.False(ports[1].GetProperty("gso").GetBoolean());

        const uint sequence = 0xfffff000; // wraps within the larger frames
        const ushort id = 0xfff0;
        byte[] payload = new byte[payloadLength];
        new Random(payloadLength).NextBytes(payload);
        (byte[] frame, GsoContext context) = TcpSuperFrame(ipv6, payload, mss, sequence, id);
        sender.SendGso(context, frame);
        sender.Kick();

        // The GSO receiver gets the super-frame whole, context first.
        byte[] buffer = new byte[70_000];
        int length = whole.Receive(buffer, TimeSpan.FromSeconds(10), out FrameType type);
        Assert.Equal(FrameType.Gso, type);
        byte[] contextBytes = new byte[8];
        context.Write(contextBytes);
        Assert.Equal([.. contextBytes, .. frame], buffer[..length]);

        // The other gets ordinary frames: every byte of the payload once, in order, in segments of
        // at most mss bytes, each with its own lengths, sequence number, flags and checksums.
        int headers = ipv6 ? 74 : 54;
        int expectedSegments = (payloadLength + mss - 1) / mss;
        var received = new List<byte>();
        for (int i = 0; i < expectedSegments; i++)
        {
            length = plain.Receive(buffer, TimeSpan.FromSeconds(10), out type);
            Assert.Equal(FrameType.Frame, type);
            int expectedPayload = Math.Min(mss, payloadLength - (i * mss));
            Assert.Equal(headers + expectedPayload, length);
            var ethernet = (EthernetPacket)Packet.ParsePacket(LinkLayers.Ethernet, buffer[..length]);
            Assert.Equal(Convert.ToHexString(MacPlain), ethernet.DestinationHardwareAddress.ToString());
            TcpPacket tcp = ethernet.Extract<TcpPacket>();
            if (ipv6)
            {
                IPv6Packet ip = ethernet.Extract<IPv6Packet>();
                Assert.Equal(20 + expectedPayload, ip.PayloadLength);
            }
            else
            {
                IPv4Packet ip = ethernet.Extract<IPv4Packet>();
                Assert.Equal(20 + 20 + expectedPayload, ip.TotalLength);
                Assert.Equal(unchecked((ushort)(id + i)), ip.Id);
                Assert.True(ip.ValidIPChecksum, $"segment {i}: IPv4 header checksum");
            }

            Assert.Equal(unchecked(sequence + (uint)(i * mss)), tcp.SequenceNumber);
            Assert.True(tcp.ValidChecksum, $"segment {i}: TCP checksum");
            bool last = i == expectedSegments - 1;
            Assert.Equal(last, tcp.Push);
            Assert.True(tcp.Acknowledgment);
            Assert.Equal(expectedPayload, tcp.PayloadData.Length);
            received.AddRange(tcp.PayloadData);
        }

        Assert.Equal(payload, received);
        Assert.False(plain.TryReceive(buffer, out _));
        Assert.False(whole.TryReceive(buffer, out _));
        Assert.Equal(0ul, plain.Counters.Lost);
        Assert.Equal(0ul, sender.Counters.BadFrames);
    }

    [Fact]
    public void A_gso_frame_with_a_bad_context_is_counted_bad_and_reaches_nobody()
    {
        string name = $"gso-bad-{Guid.NewGuid().ToString("N")[..8]}";
        using SupClient client = _daemon.Connect();
        using IntNetInterface sender = client.OpenIntNetInterface(new IntNetOpenOptions { Network = name });
        using IntNetInterface plain = client.OpenIntNetInterface(new IntNetOpenOptions { Network = name, AcceptGso = false });
        using IntNetInterface whole = client.OpenIntNetInterface(new IntNetOpenOptions { Network = name });
        sender.SetActive(true);
        plain.SetActive(true);
        whole.SetActive(true);

        (byte[] frame, GsoContext context) = TcpSuperFrame(ipv6: false, new byte[4000], 1000, 1, 1);
        sender.SendGso(context with { TransportHeaderOffset = 33 }, frame); // the IPv4 header would be 19 bytes
        frame[14] = 0x46; // IHL 6: the frame's header disagrees with the context's 20 bytes
        sender.SendGso(context, frame);
        sender.Kick();

        Poll.Until(() => sender.Counters.BadFrames == 2, () => $"2 bad frames counted in the sender's buffer (now {sender.Counters.BadFrames})");
        byte[] buffer = new byte[70_000];
        Assert.False(plain.TryReceive(buffer, out _));
        Assert.False(whole.TryReceive(buffer, out _));
        Assert.Equal(2, IntNetHarness.Show(client, name).GetProperty("counters").GetProperty("bad").GetInt32());
    }

    /// <summary>A TCP super-frame from the sender to the plain receiver's MAC: Ethernet, IPv4 (20 bytes) or IPv6 (40), TCP (20, ACK|PSH), the payload; lengths and checksums left zero (segmentation writes them).</summary>
    private static (byte[] Frame, GsoContext Context) TcpSuperFrame(bool ipv6, byte[] payload, int mss, uint sequence, ushort id)
    {
        int ipLength = ipv6 ? 40 : 20;
        int headers = 14 + ipLength + 20;
        byte[] frame = new byte[headers + payload.Length];
        MacPlain.CopyTo(frame, 0);
        MacSender.CopyTo(frame, 6);
        Span<byte> ip = frame.AsSpan(14, ipLength);
        if (ipv6)
        {
            frame[12] = 0x86;
            frame[13] = 0xdd;
            ip[0] = 0x60;
            ip[6] = 6;
            ip[7] = 64;
            ip[8] = 0xfd;
            ip[23] = 1;
            ip[24] = 0xfd;
            ip[39] = 2;
        }
        else
        {
            frame[12] = 0x08;
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], id);
            ip[6] = 0x40; // DF
            ip[8] = 64;
            ip[9] = 6;
            ip[12] = 10;
            ip[15] = 1;
            ip[16] = 10;
            ip[19] = 2;
        }

        Span<byte> tcp = frame.AsSpan(14 + ipLength, 20);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 40_000);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], 80);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], 12345);
        tcp[12] = 5 << 4;
        tcp[13] = 0x18; // ACK | PSH
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 65535);
        payload.CopyTo(frame, headers);
        var context = new GsoContext(ipv6 ? GsoType.IPv6Tcp : GsoType.IPv4Tcp, (byte)headers, (ushort)mss, 14, (byte)(14 + ipLength), (byte)headers);
        return (frame, context);
    }
}
