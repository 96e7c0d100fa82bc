using System.Buffers.Binary;
using System.Text;
using SupHost.Client;
using SupHost.IntNet.Format;
using SupHost.Native;
using SupHost.Protocol;
using static Supd.Tests.IntNetHarness;

namespace Supd.Tests;

/// <summary>Issue 11, items 7 and 8 (the module's side): capture records of switched frames, and the listings' sizes.</summary>
public sealed class IntNetCaptureTests : IClassFixture<DaemonFixture>
{
    private readonly Daemon _daemon;

    public IntNetCaptureTests(DaemonFixture fixture) => _daemon = fixture.Daemon;

    [Fact]
    public unsafe void A_capture_records_each_switched_frame_with_its_time_length_and_source_cut_to_the_snap_length()
    {
        using SupClient client = _daemon.Connect();
        string name = $"cap-{Guid.NewGuid().ToString("N")[..8]}";
        using IntNetHarness a = IntNetHarness.Open(client, name);
        using IntNetHarness b = IntNetHarness.Open(client, name);
        a.SetActive();
        b.SetActive();
        SupReply reply = client.CallModule(client.GetSymbol(a.Module, "CaptureStart"), 64, 0, Encoding.UTF8.GetBytes(name), 16, [], out IReadOnlyList<SafeFd> received);
        ulong handle = BinaryPrimitives.ReadUInt64LittleEndian(reply.Payload);
        int size = BinaryPrimitives.ReadInt32LittleEndian(reply.Payload.AsSpan(8));
        Assert.Equal(2, received.Count);
        Assert.Equal(1, IntNetHarness.List(client)[name].GetProperty("capturing").GetInt32());
        int mapped = (size + 4095) / 4096 * 4096;
        using (received[0])
        using (received[1])
        using (MappedMemory mapping = Libc.Map(received[0], mapped, Libc.PROT_READ | Libc.PROT_WRITE))
        {
            byte* buffer = (byte*)mapping.DangerousGetHandle();
            Assert.True(IntNetBuffer.TryValidateHeader(new ReadOnlySpan<byte>(buffer, mapped), out BufferLayout layout, out string? problem), problem);
            Assert.Equal(4 << 20, layout.Receive.DataSize);
            using var records = new RingReader(buffer, mapped, layout.Receive);

            long before = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
            byte[] big = Frame(Broadcast, MacOf(1), 200, tag: 1);
            byte[] small = Frame(Broadcast, MacOf(2), 10, tag: 2);
            Assert.Equal(RingStatus.Success, a.Send(big));
            Assert.NotNull(b.Receive());
            Assert.Equal(RingStatus.Success, b.Send(small));
            Assert.NotNull(a.Receive());
            a.Kick();
            b.Kick();
            long after = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;

            int aId = IntNetHarness.Show(client, name).GetProperty("ports")[0].GetProperty("id").GetInt32();
            int bId = IntNetHarness.Show(client, name).GetProperty("ports")[1].GetProperty("id").GetInt32();
            AssertRecord(records, big, 64, (uint)aId, before, after);
            AssertRecord(records, small, small.Length, (uint)bId, before, after);
            Assert.Equal(RingStatus.Empty, records.Peek(out _, out _));

            // Stopped, it records nothing more and says it is closed.
            Assert.Equal(SupStatus.Success, client.CallModule(client.GetSymbol(a.Module, "CaptureStop"), 0, handle));
            Assert.Equal(IntNetHarness.Closed, *(int*)(buffer + 144) & IntNetHarness.Closed);
            Assert.Equal(0, IntNetHarness.List(client)[name].GetProperty("capturing").GetInt32());
        }

        Assert.Equal(SupStatus.InvalidHandle, Assert.Throws<SupException>(() => client.CallModule(client.GetSymbol(a.Module, "CaptureStop"), 0, handle)).Status);
        Assert.Equal(SupStatus.NotFound, Assert.Throws<SupException>(() => client.CallModule(client.GetSymbol(a.Module, "CaptureStart"), 0, 0, "no-such-network"u8, 16, [], out _)).Status);
    }

    [Fact]
    public void A_listing_that_does_not_fit_says_the_size_it_needs()
    {
        using SupClient client = _daemon.Connect();
        string name = $"list-{Guid.NewGuid().ToString("N")[..8]}";
        using IntNetHarness a = IntNetHarness.Open(client, name);
        SupException small = Assert.Throws<SupException>(() => Call(client, "NetShow", 0, 0, Encoding.UTF8.GetBytes(name), 16));
        Assert.Equal(SupStatus.BufferOverflow, small.Status);
        int needed = Call(client, "NetShow", 0, 0, Encoding.UTF8.GetBytes(name), 1 << 16).Payload.Length;
        Assert.Contains($"pass at least {needed}", small.Message, StringComparison.Ordinal);
        Assert.Equal(needed, Call(client, "NetShow", 0, 0, Encoding.UTF8.GetBytes(name), needed).Payload.Length);
        Assert.Equal(SupStatus.NotFound, Assert.Throws<SupException>(() => Call(client, "NetShow", 0, 0, "nothing-here"u8, 4096)).Status);
        Assert.Equal(SupStatus.InvalidName, Assert.Throws<SupException>(() => Call(client, "NetShow", 0, 0, [], 4096)).Status);
    }

    private static void AssertRecord(RingReader records, byte[] frame, int snap, uint source, long before, long after)
    {
        Assert.Equal(RingStatus.Success, records.Peek(out FrameType type, out ReadOnlySpan<byte> record));
        Assert.Equal(FrameType.Frame, type);
        long time = BinaryPrimitives.ReadInt64LittleEndian(record);
        Assert.InRange(time, before, after);
        Assert.Equal(frame.Length, BinaryPrimitives.ReadInt32LittleEndian(record[8..]));
        Assert.Equal(source, BinaryPrimitives.ReadUInt32LittleEndian(record[12..]));
        Assert.True(record[16..].SequenceEqual(frame.AsSpan(0, snap)), "the record's bytes differ from the frame's first snap-length bytes");
        records.Skip();
    }
}
