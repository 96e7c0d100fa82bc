using System.Buffers.Binary;
using System.Runtime.Loader;
using System.Security.Cryptography;
using System.Text;
using SupHost.Client;
using SupHost.IntNet.Format;
using SupHost.Native;
using SupHost.Protocol;

namespace Supd.Tests;

/// <summary>
/// Issue 11, item 3, over the real daemon: the test-ring module makes an IntNet interface buffer
/// for a session with its private copy of SupHost.IntNet.Format, the client maps it and both sides
/// move frames through the rings with the same code; a client that scribbles over the rings gets
/// a status, and the daemon serves on.
/// </summary>
public unsafe class RingModuleTests
{
    private const int SendRingCorrupt = -1002;
    private const int ReceiveRingCorrupt = -1003;
    private const int ReceiveSize = 16384;
    private const int SendSize = 8192;

    [Fact]
    public void A_module_makes_a_buffer_with_its_own_copy_of_the_format_and_both_rings_carry_frames()
    {
        using Daemon daemon = Daemon.Start();
        using SupClient probe = daemon.Connect();
        DaemonBaseline before = DaemonBaseline.MeasureAfterModuleLoad(daemon, probe, "test-ring");
        var rng = new Random(11);

        using (SupClient client = daemon.Connect())
        {
            ulong module = Modules.Loaded(client, "test-ring");

            // The module makes the buffer, writes 40 frames into the receive ring and replies with the memfd.
            List<(FrameType Type, byte[] Bytes)> down = RandomFrames(rng, 40, 300);
            byte[] create = new byte[8];
            BinaryPrimitives.WriteUInt32LittleEndian(create, ReceiveSize);
            BinaryPrimitives.WriteUInt32LittleEndian(create.AsSpan(4), SendSize);
            SupReply reply = client.CallModule(client.GetSymbol(module, "Create"), 0, 0, [.. create, .. Encode(down)], 256, [], out IReadOnlyList<SafeFd> received);
            using SafeFd descriptor = Assert.Single(received);
            int size = BinaryPrimitives.ReadInt32LittleEndian(reply.Payload.AsSpan(8));
            Assert.Equal(320 + ReceiveSize + SendSize, size);
            Assert.Equal(40, BinaryPrimitives.ReadInt32LittleEndian(reply.Payload.AsSpan(12)));

            // The module's copy of the assembly lives in the module's load context; the test's in the default one.
            Assert.Equal("module test-ring", Encoding.UTF8.GetString(reply.Payload.AsSpan(16)));
            Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(typeof(RingReader).Assembly));

            // The client maps it, validates the header once, and reads the frames with the same code.
            int mapped = (size + 4095) / 4096 * 4096;
            using MappedMemory mapping = Libc.Map(descriptor, mapped, Libc.PROT_READ | Libc.PROT_WRITE);
            byte* buffer = (byte*)mapping.DangerousGetHandle();
            Assert.True(IntNetBuffer.TryValidateHeader(new ReadOnlySpan<byte>(buffer, mapped), out BufferLayout layout, out string? problem), problem);
            using var reader = new RingReader(buffer, mapped, layout.Receive);
            using var writer = new RingWriter(buffer, mapped, layout.Send);
            AssertReceives(reader, down);

            // Far more than the receive ring holds, ten frames a call: it wraps many times and loses
            // nothing while the client keeps up.
            ulong deliver = client.GetSymbol(module, "Deliver");
            for (int round = 0; round < 40; round++)
            {
                List<(FrameType Type, byte[] Bytes)> batch = RandomFrames(rng, 10, 1200);
                Assert.Equal((10, 0), Delivered(client.CallModule(deliver, 0, 0, Encode(batch), 8)));
                AssertReceives(reader, batch);
            }

            // The other way: the client writes the send ring, the module reads it and answers a digest.
            ulong drain = client.GetSymbol(module, "Drain");
            List<(FrameType Type, byte[] Bytes)> up = RandomFrames(rng, 50, 120);
            up.ForEach(f => Assert.Equal(RingStatus.Success, writer.Write(f.Bytes, f.Type)));
            Assert.Equal((50, 0ul, Digest(up)), Drained(client.CallModule(drain, 0, 0, [], 44)));

            // Garbage in the send ring's offWriteCom (64 + 16): the module answers its status, counts
            // it once, and the frame the client commits next (which publishes a valid offset) arrives.
            WriteU32(buffer, 64 + 16, 0x12345677);
            AssertModuleStatus(SendRingCorrupt, () => client.CallModule(drain, 0, 0, [], 44));
            probe.Nop();
            Assert.Equal((0, 1ul, Digest([])), Drained(client.CallModule(drain, 0, 0, [], 44)));
            List<(FrameType Type, byte[] Bytes)> after = RandomFrames(rng, 1, 100);
            Assert.Equal(RingStatus.Success, writer.Write(after[0].Bytes, after[0].Type));
            Assert.Equal((1, 1ul, Digest(after)), Drained(client.CallModule(drain, 0, 0, [], 44)));

            // Garbage in the receive ring's offReadX (16 + 8): the module refuses to write rather
            // than guess; once the offset is valid again, delivery goes on.
            uint read = ReadU32(buffer, 16 + 8);
            WriteU32(buffer, 16 + 8, 0xFFFFFFFF);
            List<(FrameType Type, byte[] Bytes)> one = RandomFrames(rng, 1, 100);
            AssertModuleStatus(ReceiveRingCorrupt, () => client.CallModule(deliver, 0, 0, Encode(one), 8));
            WriteU32(buffer, 16 + 8, read);
            Assert.Equal((1, 0), Delivered(client.CallModule(deliver, 0, 0, Encode(one), 8)));
            AssertReceives(reader, one);

            // Random bytes over both ring structures (bounds included) and the send data, again and
            // again: every call answers 0 or the module's status, and the daemon serves on.
            Scribble(client, drain, deliver, new Span<byte>(buffer, size), layout, rng);
            probe.Nop();
            Assert.Equal(SupStatus.Success, client.CallModule(client.GetSymbol(module, "Close"), 0, 0));
            client.FreeModule(module);
        }

        before.AssertRestored(daemon, probe);
        Assert.False(daemon.Process.HasExited, daemon.Output);
    }

    private static void Scribble(SupClient client, ulong drain, ulong deliver, Span<byte> whole, BufferLayout layout, Random rng)
    {
        byte[] frames = Encode(RandomFrames(rng, 3, 200));
        int sendRefusals = 0;
        int receiveRefusals = 0;
        for (int i = 0; i < 300; i++)
        {
            rng.NextBytes(whole.Slice(16 + (48 * rng.Next(2)), 48));
            rng.NextBytes(whole.Slice(layout.Send.DataOffset + rng.Next(SendSize - 64), 64));
            sendRefusals += CallAnswering(() => client.CallModule(drain, 0, 0, [], 44), SendRingCorrupt) ? 1 : 0;
            receiveRefusals += CallAnswering(() => client.CallModule(deliver, 0, 0, frames, 8), ReceiveRingCorrupt) ? 1 : 0;
        }

        Assert.True(sendRefusals > 10 && receiveRefusals > 10, $"the module refused {sendRefusals} drains and {receiveRefusals} deliveries");
    }

    private static List<(FrameType Type, byte[] Bytes)> RandomFrames(Random rng, int count, int maxSize) =>
        [.. Enumerable.Range(0, count).Select(i =>
        {
            byte[] bytes = new byte[rng.Next(14, maxSize + 1)];
            rng.NextBytes(bytes);
            return (rng.Next(4) == 0 ? FrameType.Gso : FrameType.Frame, bytes);
        })];

    /// <summary>The module's input: each frame as the ring header's first word (length, type in the top byte), then its bytes.</summary>
    private static byte[] Encode(List<(FrameType Type, byte[] Bytes)> frames)
    {
        var input = new List<byte>();
        foreach ((FrameType type, byte[] bytes) in frames)
        {
            byte[] word = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(word, (uint)bytes.Length | ((uint)type << 24));
            input.AddRange(word);
            input.AddRange(bytes);
        }

        return [.. input];
    }

    /// <summary>What the module's Drain digests: each frame's type byte, u32 length and bytes, in order.</summary>
    private static string Digest(List<(FrameType Type, byte[] Bytes)> frames)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach ((FrameType type, byte[] bytes) in frames)
        {
            byte[] prefix = new byte[5];
            prefix[0] = (byte)type;
            BinaryPrimitives.WriteUInt32LittleEndian(prefix.AsSpan(1), (uint)bytes.Length);
            hash.AppendData(prefix);
            hash.AppendData(bytes);
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private static (int Frames, ulong Bad, string Digest) Drained(SupReply reply) =>
        (BinaryPrimitives.ReadInt32LittleEndian(reply.Payload), BinaryPrimitives.ReadUInt64LittleEndian(reply.Payload.AsSpan(4)), Convert.ToHexString(reply.Payload.AsSpan(12, 32)));

    private static (int Written, int Refused) Delivered(SupReply reply) =>
        (BinaryPrimitives.ReadInt32LittleEndian(reply.Payload), BinaryPrimitives.ReadInt32LittleEndian(reply.Payload.AsSpan(4)));

    private static void AssertReceives(RingReader reader, List<(FrameType Type, byte[] Bytes)> frames)
    {
        foreach ((FrameType type, byte[] bytes) in frames)
        {
            Assert.Equal(RingStatus.Success, reader.Peek(out FrameType got, out ReadOnlySpan<byte> frame));
            Assert.Equal(type, got);
            Assert.True(frame.SequenceEqual(bytes), $"a {bytes.Length}-byte frame differs");
            reader.Skip();
        }

        Assert.Equal(RingStatus.Empty, reader.Peek(out _, out _));
    }

    private static void AssertModuleStatus(int status, Action call)
    {
        SupException refused = Assert.Throws<SupException>(call);
        Assert.Equal(status, (int)refused.Status);
        Assert.True(refused.IsModuleStatus);
    }

    /// <summary>Makes a call that must answer success or the one status of the module's that fits; true for that status.</summary>
    private static bool CallAnswering(Action call, int status)
    {
        try
        {
            call();
            return false;
        }
        catch (SupException ex) when ((int)ex.Status == status && ex.IsModuleStatus)
        {
            return true;
        }
    }

    private static uint ReadU32(byte* buffer, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(buffer + offset, 4));

    private static void WriteU32(byte* buffer, int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(new Span<byte>(buffer + offset, 4), value);
}
