
namespace SupHost.Protocol.Tests;

public class MessageHeaderTests
{
    [Fact]
    public void Header_round_trips_and_sits_at_the_documented_offsets()
    {
        var header = new MessageHeader(ProtocolConstants.HeaderMagic, HeaderFlags.Reply, 0x1122334455667788, SupFunction.ObjectOpen, 72, 8, SupStatus.InvalidHandle, 0xdeadbeef, 0);
        byte[] bytes = new byte[ProtocolConstants.HeaderSize];
        header.Write(bytes);

        Assert.Equal(header, MessageHeader.Read(bytes));
        Assert.Equal("SUPH", System.Text.Encoding.ASCII.GetString(bytes, 0, 4));
        Assert.Equal(0x88, bytes[8]);
        Assert.Equal(0x11, bytes[15]);
        Assert.Equal((byte)SupFunction.ObjectOpen, bytes[16]);
        Assert.Equal(72, bytes[20]);
        Assert.Equal(8, bytes[24]);
        Assert.Equal(unchecked((byte)(int)SupStatus.InvalidHandle), bytes[28]);
        Assert.Equal(0xef, bytes[32]);
    }

    [Fact]
    public void Short_buffers_are_refused()
    {
        Assert.Throws<ArgumentException>(() => MessageHeader.Read(new byte[ProtocolConstants.HeaderSize - 1]));
        Assert.Throws<ArgumentException>(() => default(MessageHeader).Write(new byte[10]));
    }
}
