namespace SupHost.IntNet.Format.Tests;

/// <summary>What a test asks for: the shape of one super-frame.</summary>
internal sealed record FrameSpec(
    bool IPv6,
    bool Tcp,
    int PayloadLength,
    int MaxSegment,
    int TcpOptionWords = 0,
    int IPv4OptionWords = 0,
    bool IPv6HopByHop = false,
    uint Sequence = 1_000,
    ushort IPv4Id = 0x1234,
    byte TcpFlags = TestFrames.Ack | TestFrames.Psh,
    int Seed = 1)
{
    public override string ToString() =>
        $"{(IPv6 ? "IPv6" : "IPv4")}/{(Tcp ? "TCP" : "UDP")} payload {PayloadLength} mss {MaxSegment} tcp-options {TcpOptionWords} ip-options {IPv4OptionWords} hbh {IPv6HopByHop} seq {Sequence} id {IPv4Id} flags 0x{TcpFlags:x2} seed {Seed}";
}
