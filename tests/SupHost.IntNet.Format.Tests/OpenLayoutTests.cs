using System.Buffers.Binary;
using System.Text;

namespace SupHost.IntNet.Format.Tests;

/// <summary>The OpenRequest and OpenReply layouts against the tables of docs/intnet.md.</summary>
public sealed class OpenLayoutTests
{
    [Fact]
    public void A_request_puts_each_field_at_its_documented_offset()
    {
        byte[] request = new byte[300];
        request.AsSpan().Fill(0xee);
        IntNetOpenRequest.Write(request, IntNetOpenFlags.AccessPublic | IntNetOpenFlags.TrunkWireDisabled, IntNetTrunkType.NetFlt, 4096, 8192, 1, "lab-net", "eth0");

        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(request));
        Assert.Equal((1u << 4) | (1u << 24), BinaryPrimitives.ReadUInt32LittleEndian(request.AsSpan(4)));
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(request.AsSpan(8)));
        Assert.Equal(4096u, BinaryPrimitives.ReadUInt32LittleEndian(request.AsSpan(12)));
        Assert.Equal(8192u, BinaryPrimitives.ReadUInt32LittleEndian(request.AsSpan(16)));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(request.AsSpan(20)));
        Assert.Equal("lab-net"u8.ToArray(), request[24..31]);
        Assert.All(request[31..152], b => Assert.Equal(0, b));
        Assert.Equal("eth0"u8.ToArray(), request[152..156]);
        Assert.All(request[156..216], b => Assert.Equal(0, b));

        // Nothing past the 216 bytes is touched.
        Assert.All(request[216..], b => Assert.Equal(0xee, b));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(128, 0)]
    [InlineData(5, 64)]
    public void Names_the_fields_cannot_carry_are_refused(int networkBytes, int trunkBytes)
    {
        string network = new('n', networkBytes);
        string trunk = new('t', trunkBytes);
        Assert.Throws<ArgumentException>(() => IntNetOpenRequest.Write(new byte[IntNetOpenRequest.Size], IntNetOpenFlags.None, IntNetTrunkType.None, 0, 0, 0, network, trunk));
    }

    [Fact]
    public void The_longest_names_fit_with_their_nul()
    {
        byte[] request = new byte[IntNetOpenRequest.Size];
        string network = new string('é', 63) + "n";
        IntNetOpenRequest.Write(request, IntNetOpenFlags.None, IntNetTrunkType.NetAdp, 0, 0, 0, network, new string('t', 63));
        Assert.Equal(127, Encoding.UTF8.GetByteCount(network));
        Assert.Equal(0, request[24 + 127]);
        Assert.Equal(0, request[152 + 63]);
    }

    [Fact]
    public void A_reply_reads_back_what_was_written_at_the_documented_offsets()
    {
        byte[] reply = new byte[40];
        new IntNetOpenReply(0x1122334455667788, true, 522_560, 0xa1, 0xb2, 0xc3).Write(reply);
        Assert.Equal(0x1122334455667788ul, BinaryPrimitives.ReadUInt64LittleEndian(reply));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(reply.AsSpan(8)));
        Assert.Equal(522_560u, BinaryPrimitives.ReadUInt32LittleEndian(reply.AsSpan(12)));
        Assert.Equal(0xa1ul, BinaryPrimitives.ReadUInt64LittleEndian(reply.AsSpan(16)));
        Assert.Equal(0xb2ul, BinaryPrimitives.ReadUInt64LittleEndian(reply.AsSpan(24)));
        Assert.Equal(0xc3ul, BinaryPrimitives.ReadUInt64LittleEndian(reply.AsSpan(32)));
        Assert.Equal(new IntNetOpenReply(0x1122334455667788, true, 522_560, 0xa1, 0xb2, 0xc3), IntNetOpenReply.TryRead(reply));
        Assert.Null(IntNetOpenReply.TryRead(reply.AsSpan(0, 39)));
    }
}
