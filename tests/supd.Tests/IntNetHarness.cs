using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using SupHost.Client;
using SupHost.IntNet.Format;
using SupHost.Native;
using SupHost.Protocol;

namespace Supd.Tests;

/// <summary>
/// The intnet module's entry points through raw module calls, and one interface as a client sees
/// it: the reply's handles and descriptors, the buffer mapped read-write shared, the rings read and
/// written with SupHost.IntNet.Format, and the doorbell words of docs/intnet.md. It plays the
/// client library's part for the tests, step by step as the page says.
/// </summary>
internal sealed unsafe class IntNetHarness : IDisposable
{
    public const int Draining = 1;
    public const int Closed = 2;
    public const int WaitsAborted = 4;

    private readonly SupClient _client;
    private readonly IReadOnlyList<SafeFd> _descriptors;
    private readonly MappedMemory _mapping;
    private bool _closed;

    private IntNetHarness(SupClient client, ulong module, byte[] reply, IReadOnlyList<SafeFd> descriptors)
    {
        _client = client;
        Module = module;
        Handle = BinaryPrimitives.ReadUInt64LittleEndian(reply);
        Created = BinaryPrimitives.ReadUInt32LittleEndian(reply.AsSpan(8)) == 1;
        Size = BinaryPrimitives.ReadInt32LittleEndian(reply.AsSpan(12));
        Allocation = BinaryPrimitives.ReadUInt64LittleEndian(reply.AsSpan(16));
        ReceiveEvent = BinaryPrimitives.ReadUInt64LittleEndian(reply.AsSpan(24));
        SendEvent = BinaryPrimitives.ReadUInt64LittleEndian(reply.AsSpan(32));
        _descriptors = descriptors;
        int mapped = (Size + 4095) / 4096 * 4096;
        _mapping = Libc.Map(descriptors[0], mapped, Libc.PROT_READ | Libc.PROT_WRITE);
        Buffer = (byte*)_mapping.DangerousGetHandle();
        MappedLength = mapped;
        if (!IntNetBuffer.TryValidateHeader(new ReadOnlySpan<byte>(Buffer, mapped), out BufferLayout layout, out string? problem))
        {
            throw new InvalidOperationException(problem);
        }

        Layout = layout;
        Reader = new RingReader(Buffer, mapped, layout.Receive);
        Writer = new RingWriter(Buffer, mapped, layout.Send);
    }

    public ulong Module { get; }

    public ulong Handle { get; }

    public bool Created { get; }

    public int Size { get; }

    public ulong Allocation { get; }

    public ulong ReceiveEvent { get; }

    public ulong SendEvent { get; }

    public byte* Buffer { get; }

    public int MappedLength { get; }

    public BufferLayout Layout { get; }

    public RingReader Reader { get; }

    public RingWriter Writer { get; }

    public SafeFd ReceiveDoorbell => _descriptors[1];

    public SafeFd SendDoorbell => _descriptors[2];

    public SupClient Client => _client;

    /// <summary>Word 144: Draining, Closed, WaitsAborted.</summary>
    public int Flags => Volatile.Read(ref *(int*)(Buffer + 144));

    /// <summary>Word 148: the client sleeps on the receive doorbell.</summary>
    public bool Sleeping => Volatile.Read(ref *(int*)(Buffer + 148)) != 0;

    /// <summary>Word 152: active, promiscuous (effective), MAC set.</summary>
    public int State => Volatile.Read(ref *(int*)(Buffer + 152));

    /// <summary>Bytes 160-165: the MAC the switch sees.</summary>
    public byte[] Mac => new ReadOnlySpan<byte>(Buffer + 160, 6).ToArray();

    /// <summary>The buffer's counters (112-143).</summary>
    public BufferStatistics Statistics => IntNetBuffer.ReadStatistics(new ReadOnlySpan<byte>(Buffer, MappedLength));

    /// <summary>The intnet module's handle for <paramref name="client"/> (opened and loaded: it is a start module, this adds the session's reference).</summary>
    public static ulong ModuleFor(SupClient client) => Modules.Loaded(client, "intnet");

    public static byte[] Request(string network, uint flags = 0, uint trunk = 1, string trunkName = "", int receive = 0, int send = 0, uint reserved = 0, uint version = 1)
    {
        byte[] bytes = new byte[216];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, version);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), trunk);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), receive);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(16), send);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(20), reserved);
        Encoding.UTF8.GetBytes(network).CopyTo(bytes.AsSpan(24));
        Encoding.UTF8.GetBytes(trunkName).CopyTo(bytes.AsSpan(152));
        return bytes;
    }

    public static IntNetHarness Open(SupClient client, string network, uint flags = 0, uint trunk = 1, string trunkName = "", int receive = 0, int send = 0) =>
        Open(client, Request(network, flags, trunk, trunkName, receive, send));

    public static IntNetHarness Open(SupClient client, byte[] request)
    {
        ulong module = ModuleFor(client);
        SupReply reply = client.CallModule(client.GetSymbol(module, "Open"), 0, 0, request, 40, [], out IReadOnlyList<SafeFd> received);
        Assert.Equal(40, reply.Payload.Length);
        Assert.Equal(3, received.Count);
        return new IntNetHarness(client, module, reply.Payload, received);
    }

    /// <summary>The status an open answers (0 when it opened; the interface is closed again at once).</summary>
    public static (int Status, string Message) OpenStatus(SupClient client, byte[] request)
    {
        try
        {
            using IntNetHarness opened = Open(client, request);
            return (0, "");
        }
        catch (SupException ex)
        {
            Assert.True(ex.IsModuleStatus, ex.Message);
            return ((int)ex.Status, ex.Message);
        }
    }

    public static SupReply Call(SupClient client, string entry, uint operation, ulong argument, ReadOnlySpan<byte> input, int output = 0) =>
        client.CallModule(client.GetSymbol(ModuleFor(client), entry), operation, argument, input, output);

    /// <summary>NetShow NAME, parsed.</summary>
    public static JsonElement Show(SupClient client, string network) =>
        JsonDocument.Parse(Call(client, "NetShow", 0, 0, Encoding.UTF8.GetBytes(network), 1 << 19).Payload).RootElement.Clone();

    /// <summary>NetList, parsed: the networks by name.</summary>
    public static Dictionary<string, JsonElement> List(SupClient client) =>
        JsonDocument.Parse(Call(client, "NetList", 0, 0, [], 1 << 19).Payload).RootElement.GetProperty("networks")
            .EnumerateArray().ToDictionary(n => n.GetProperty("name").GetString()!, n => n.Clone());

    public void SetActive(bool active = true) => Assert.Equal(SupStatus.Success, Invoke("SetActive", active ? 1u : 0u));

    public void SetPromiscuous(bool on) => Assert.Equal(SupStatus.Success, Invoke("SetPromiscuous", on ? 1u : 0u));

    public void SetMac(byte[] mac) => Assert.Equal(SupStatus.Success, Invoke("SetMac", 0, mac));

    /// <summary>
    /// The Send kick: the switch drains this send ring on the calling thread, or waits for the
    /// worker that is draining it. When it returns, every frame committed before has been switched:
    /// a barrier for tests that check what did not arrive.
    /// </summary>
    public void Kick() => Assert.Equal(SupStatus.Success, Invoke("Send", 0));

    public SupStatus Invoke(string entry, uint operation, ReadOnlySpan<byte> input = default) =>
        _client.CallModule(_client.GetSymbol(Module, entry), operation, Handle, input, 0).Status;

    /// <summary>Writes a frame into the send ring and rings the doorbell unless the switch says it is draining (docs/intnet.md).</summary>
    public RingStatus Send(ReadOnlySpan<byte> frame, FrameType type = FrameType.Frame)
    {
        RingStatus status = Writer.Write(frame, type);
        if (status != RingStatus.Success)
        {
            return status;
        }

        Interlocked.MemoryBarrier();
        if ((Flags & Draining) == 0)
        {
            Libc.SignalEvent(SendDoorbell);
        }

        return status;
    }

    /// <summary>
    /// The next frame of the receive ring, waiting up to <paramref name="timeoutMs"/> on the receive
    /// doorbell (word 148 set while it sleeps); null when none came or the interface was closed.
    /// </summary>
    public (FrameType Type, byte[] Bytes)? Receive(int timeoutMs = 10_000)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        while (true)
        {
            if (TryReceive() is { } frame)
            {
                return frame;
            }

            Volatile.Write(ref *(int*)(Buffer + 148), 1);
            Interlocked.MemoryBarrier();
            if (TryReceive() is { } late)
            {
                Volatile.Write(ref *(int*)(Buffer + 148), 0);
                return late;
            }

            long left = deadline - Environment.TickCount64;
            if (left <= 0 || (Flags & (Closed | WaitsAborted)) != 0)
            {
                Volatile.Write(ref *(int*)(Buffer + 148), 0);
                return null;
            }

            Libc.WaitEvent(ReceiveDoorbell, consume: true, (int)left);
            Volatile.Write(ref *(int*)(Buffer + 148), 0);
        }
    }

    /// <summary>The next frame if one is there.</summary>
    public (FrameType Type, byte[] Bytes)? TryReceive()
    {
        if (Reader.Peek(out FrameType type, out ReadOnlySpan<byte> bytes) != RingStatus.Success)
        {
            return null;
        }

        byte[] copy = bytes.ToArray();
        Reader.Skip();
        return (type, copy);
    }

    /// <summary>Closes the interface, then frees the client's part (the buffer's allocation and the two events, which are the session's).</summary>
    public void Close()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        Assert.Equal(SupStatus.Success, Invoke("Close", 0));
        FreeClientPart(daemonPart: false);
    }

    /// <summary>
    /// Drops this process's mapping and descriptors; with <paramref name="daemonPart"/> also frees the
    /// buffer's allocation and the doorbell events in the session, which a successful Close does itself.
    /// </summary>
    public void FreeClientPart(bool daemonPart = true)
    {
        Reader.Dispose();
        Writer.Dispose();
        _mapping.Dispose();
        foreach (SafeFd fd in _descriptors)
        {
            fd.Dispose();
        }

        if (daemonPart)
        {
            Free(SupFunction.PageFree, Allocation);
            Free(SupFunction.EventClose, ReceiveEvent);
            Free(SupFunction.EventClose, SendEvent);
        }
    }

    public void Dispose()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        bool closed = false;
        try
        {
            closed = Invoke("Close", 0) == SupStatus.Success;
        }
        catch (SupException)
        {
            // The session ended.
        }

        try
        {
            FreeClientPart(daemonPart: !closed);
        }
        catch (SupException)
        {
            // The session is gone, and the client's part with it.
        }
    }

    private void Free(SupFunction function, ulong handle)
    {
        byte[] input = new byte[HandleRequest.Size];
        new HandleRequest(handle).Write(input);
        _client.Call(function, input, 0);
    }

    /// <summary>An Ethernet frame: destination, source, EtherType 0x88b5 (local experimental), then <paramref name="payload"/> bytes, tagged.</summary>
    public static byte[] Frame(byte[] destination, byte[] source, int payload = 46, byte tag = 0)
    {
        byte[] frame = new byte[14 + payload];
        destination.CopyTo(frame, 0);
        source.CopyTo(frame, 6);
        frame[12] = 0x88;
        frame[13] = 0xb5;
        for (int i = 14; i < frame.Length; i++)
        {
            frame[i] = (byte)(tag + i);
        }

        return frame;
    }

    public static byte[] MacOf(int n) => [0x02, 0x00, 0x00, 0x00, 0x00, (byte)n];

    public static readonly byte[] Broadcast = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
}
