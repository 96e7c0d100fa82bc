namespace SupHost.IntNet.Format.Tests;

/// <summary>
/// Switch entries to and from a device that speaks virtio_net_hdr (NetAdp's TAPs, NetFlt's packet
/// sockets): written behind a header, and read back in place, as the two drivers do.
/// </summary>
public sealed class VnetDeviceFrameTests
{
    [Theory]
    [InlineData(false, 1448)]
    [InlineData(true, 1428)]
    public void A_gso_entry_goes_to_the_device_behind_its_header_and_comes_back_as_the_same_entry(bool ipv6, int mss)
    {
        BuiltFrame built = TestFrames.Build(new FrameSpec(ipv6, Tcp: true, 60_000, mss));
        byte[] entry = new byte[GsoContext.Size + built.Frame.Length];
        built.Context.Write(entry);
        built.Frame.CopyTo(entry, GsoContext.Size);

        byte[] written = new byte[VnetDeviceFrame.WriteBufferSize];
        int length = VnetDeviceFrame.ToDevice(entry, gso: true, written);
        Assert.Equal(VirtioNetHeader.Size + built.Frame.Length, length);
        VirtioNetHeader header = VirtioNetHeader.Read(written);
        Assert.Equal((ushort)mss, header.GsoSize);
        Assert.Equal((ushort)built.TransportOffset, header.ChecksumStart);

        // The device gives back what was written (a loop): the read lands at ReadOffset.
        byte[] read = new byte[VnetDeviceFrame.ReadBufferSize];
        written.AsSpan(0, length).CopyTo(read.AsSpan(VnetDeviceFrame.ReadOffset));
        Assert.Equal(VirtioNetHeaderConversion.Gso, VnetDeviceFrame.FromDevice(read, length, out int start, out int entryLength));
        Assert.Equal(entry.Length, entryLength);
        Assert.Equal(built.Context, GsoContext.Read(read.AsSpan(start)));
        Assert.Equal(VirtioNetHeader.Size + VnetDeviceFrame.ReadOffset, start + GsoContext.Size);
        Assert.Equal(written.AsSpan(VirtioNetHeader.Size, built.Frame.Length).ToArray(), read.AsSpan(start + GsoContext.Size, built.Frame.Length).ToArray());
    }

    [Fact]
    public void An_ordinary_frame_goes_behind_a_zero_header_and_comes_back_whole()
    {
        byte[] frame = Frames.Make(7, 1514);
        byte[] written = new byte[VnetDeviceFrame.WriteBufferSize];
        written.AsSpan().Fill(0xaa);
        int length = VnetDeviceFrame.ToDevice(frame, gso: false, written);
        Assert.Equal(10 + 1514, length);
        Assert.All(written[..10], b => Assert.Equal(0, b));

        byte[] read = new byte[VnetDeviceFrame.ReadBufferSize];
        written.AsSpan(0, length).CopyTo(read.AsSpan(2));
        Assert.Equal(VirtioNetHeaderConversion.Plain, VnetDeviceFrame.FromDevice(read, length, out int start, out int entryLength));
        Assert.Equal(frame, read.AsSpan(start, entryLength).ToArray());
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(65_809, false)]
    [InlineData(8, true)]
    public void Entries_the_device_cannot_take_are_refused(int size, bool gso)
    {
        Assert.Equal(-1, VnetDeviceFrame.ToDevice(new byte[size], gso, new byte[VnetDeviceFrame.WriteBufferSize + 100]));
    }

    [Fact]
    public void A_gso_entry_whose_frame_contradicts_its_context_is_refused()
    {
        BuiltFrame built = TestFrames.Build(new FrameSpec(IPv6: false, Tcp: true, 10_000, 1448));
        byte[] entry = new byte[GsoContext.Size + 200];
        built.Context.Write(entry);
        built.Frame.AsSpan(0, 200).CopyTo(entry.AsSpan(GsoContext.Size));
        Assert.Equal(-1, VnetDeviceFrame.ToDevice(entry, gso: true, new byte[VnetDeviceFrame.WriteBufferSize]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(23)]
    [InlineData(65_819)]
    public void Reads_too_short_for_a_header_and_an_ethernet_header_or_beyond_the_buffer_are_bad(int read)
    {
        Assert.Equal(VirtioNetHeaderConversion.Invalid, VnetDeviceFrame.FromDevice(new byte[VnetDeviceFrame.ReadBufferSize], read, out _, out int length));
        Assert.Equal(0, length);
    }

    [Theory]
    [InlineData(false, 1448, 60_000)]
    [InlineData(true, 1428, 60_000)]
    [InlineData(false, 536, 3_000)]
    public void A_gso_entry_in_two_parts_is_what_one_copy_writes_and_the_entry_is_left_as_it_was(bool ipv6, int mss, int payload)
    {
        BuiltFrame built = TestFrames.Build(new FrameSpec(ipv6, Tcp: true, payload, mss));
        byte[] entry = new byte[GsoContext.Size + built.Frame.Length];
        built.Context.Write(entry);
        built.Frame.CopyTo(entry, GsoContext.Size);
        byte[] before = entry.ToArray();

        // The device sees the head and the body back to back: the same bytes as the one-copy write.
        byte[] whole = new byte[VnetDeviceFrame.WriteBufferSize];
        int wholeLength = VnetDeviceFrame.ToDevice(entry, gso: true, whole);
        byte[] head = new byte[VnetDeviceFrame.HeadBufferSize];
        int headLength = VnetDeviceFrame.ToDeviceHead(entry, gso: true, head, out int bodyStart);
        Assert.Equal(VirtioNetHeader.Size + built.Context.HeadersLength, headLength);
        Assert.Equal(GsoContext.Size + built.Context.HeadersLength, bodyStart);
        Assert.Equal(whole[..wholeLength], (byte[])[.. head[..headLength], .. entry[bodyStart..]]);

        // Only the head was rewritten: its TCP checksum field holds the pseudo-header sum, the entry's is still the sender's zero.
        Assert.Equal(before, entry);
        Assert.NotEqual(entry.AsSpan(GsoContext.Size, built.Context.HeadersLength).ToArray(), head[VirtioNetHeader.Size..headLength]);
    }

    [Fact]
    public void An_ordinary_frame_in_two_parts_is_a_zero_header_and_the_whole_frame()
    {
        byte[] frame = Frames.Make(9, 1514);
        byte[] head = new byte[VnetDeviceFrame.HeadBufferSize];
        head.AsSpan().Fill(0xaa);
        Assert.Equal(VirtioNetHeader.Size, VnetDeviceFrame.ToDeviceHead(frame, gso: false, head, out int bodyStart));
        Assert.Equal(0, bodyStart);
        Assert.All(head[..VirtioNetHeader.Size], b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData(0, false, VnetDeviceFrame.HeadBufferSize)]
    [InlineData(65_809, false, VnetDeviceFrame.HeadBufferSize)]
    [InlineData(8, true, VnetDeviceFrame.HeadBufferSize)]
    [InlineData(100, false, VnetDeviceFrame.HeadBufferSize - 1)]
    public void Entries_or_heads_the_two_part_write_cannot_take_are_refused(int size, bool gso, int headSize)
    {
        Assert.Equal(-1, VnetDeviceFrame.ToDeviceHead(new byte[size], gso, new byte[headSize], out _));
    }

    [Fact]
    public void A_gso_entry_that_contradicts_its_context_or_is_headers_alone_is_refused_in_two_parts()
    {
        BuiltFrame built = TestFrames.Build(new FrameSpec(IPv6: false, Tcp: true, 10_000, 1448));
        byte[] entry = new byte[GsoContext.Size + 200];
        built.Context.Write(entry);
        built.Frame.AsSpan(0, 200).CopyTo(entry.AsSpan(GsoContext.Size));
        Assert.Equal(-1, VnetDeviceFrame.ToDeviceHead(entry, gso: true, new byte[VnetDeviceFrame.HeadBufferSize], out _));

        byte[] headersAlone = new byte[GsoContext.Size + built.Context.HeadersLength];
        built.Context.Write(headersAlone);
        built.Frame.AsSpan(0, built.Context.HeadersLength).CopyTo(headersAlone.AsSpan(GsoContext.Size));
        Assert.Equal(-1, VnetDeviceFrame.ToDeviceHead(headersAlone, gso: true, new byte[VnetDeviceFrame.HeadBufferSize], out _));

        // A frame whose TCP data offset disagrees with the context's header length.
        byte[] disagreeing = new byte[GsoContext.Size + built.Frame.Length];
        built.Context.Write(disagreeing);
        built.Frame.CopyTo(disagreeing, GsoContext.Size);
        disagreeing[GsoContext.Size + built.TransportOffset + 12] = 0x60;
        Assert.Equal(-1, VnetDeviceFrame.ToDeviceHead(disagreeing, gso: true, new byte[VnetDeviceFrame.HeadBufferSize], out _));
    }
}
