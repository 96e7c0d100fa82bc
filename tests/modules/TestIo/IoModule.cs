using System.Buffers.Binary;
using System.Text;
using SupHost.Abi;

[assembly: SupModule("test-io", typeof(SupHost.TestModules.Io.IoModule))]

namespace SupHost.TestModules.Io;

/// <summary>
/// Drives IModuleIo for the tests. Every entry point returns 0 and answers in its output: a
/// little-endian int32 status of the I/O operation, then its data (or, on failure, the host's
/// LastError in UTF-8), so a test sees the module-side status and message together. Handles live
/// in numbered slots (the call's argument).
/// </summary>
public sealed class IoModule : ISupModule
{
    /// <summary>Events of the readiness loop: tokens 0 to 99.</summary>
    public const int LoopEvents = 100;

    /// <summary>Socket pairs of the readiness loop: tokens 100 to 109 (their reading ends).</summary>
    public const int LoopSockets = 10;

    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, IModuleIoHandle> _slots = [];
    private readonly List<ushort> _seen = [];
    private readonly IModuleIoHandle[] _loopEvents = new IModuleIoHandle[LoopEvents];
    private readonly IModuleIoHandle[] _loopReaders = new IModuleIoHandle[LoopSockets];
    private readonly IModuleIoHandle[] _loopWriters = new IModuleIoHandle[LoopSockets];
    private readonly List<long> _eventWakes = [];
    private IModuleHost? _host;
    private IModuleReadiness? _readiness;
    private IModuleReadiness? _eventSet;
    private volatile bool _eventLoopConsumes = true;
    private long _eventLoopWaits;

    public void Initialize(IModuleHost host) => _host = host;

    public void Terminate()
    {
        // Everything is left open on purpose: the daemon must close it.
    }

    /// <summary>
    /// Makes a readiness set over 100 events and the reading ends of 10 datagram socket pairs and
    /// starts a worker that waits on it with its own token, recording each ready token in order
    /// (consuming the event or reading the datagram).
    /// </summary>
    [SupEntryPoint]
    public int StartLoop(ref ModuleCall call)
    {
        IModuleIo io = _host!.Io;
        int status = io.CreateReadiness(out _readiness);
        for (int i = 0; status == 0 && i < LoopEvents; i++)
        {
            status = io.CreateEvent(out IModuleIoHandle? handle);
            if (status == 0)
            {
                _loopEvents[i] = handle!;
                status = _readiness!.Add(handle!, IoInterest.Readable, (ulong)i);
            }
        }

        for (int i = 0; status == 0 && i < LoopSockets; i++)
        {
            status = io.CreateSocketPair(IoSocketType.Datagram, out IModuleIoHandle? reader, out IModuleIoHandle? writer);
            if (status == 0)
            {
                _loopReaders[i] = reader!;
                _loopWriters[i] = writer!;
                status = _readiness!.Add(reader!, IoInterest.Readable, (ulong)(LoopEvents + i));
            }
        }

        if (status == 0)
        {
            _host.Threads.Start("io-loop", Loop);
        }

        return Answer(ref call, status, []);
    }

    /// <summary>Signals the loop's events and writes to its sockets in the order of the input's little-endian uint16 tokens.</summary>
    [SupEntryPoint]
    public int Fire(ref ModuleCall call)
    {
        int status = 0;
        for (int i = 0; status == 0 && i + 1 < call.Input.Length; i += 2)
        {
            ushort token = BinaryPrimitives.ReadUInt16LittleEndian(call.Input[i..]);
            if (token < LoopEvents)
            {
                status = _loopEvents[token].Signal();
            }
            else
            {
                int written = _loopWriters[token - LoopEvents].Write([(byte)token]);
                status = written < 0 ? written : 0;
            }
        }

        return Answer(ref call, status, []);
    }

    /// <summary>The tokens the loop saw, in order, as little-endian uint16s.</summary>
    [SupEntryPoint]
    public int Seen(ref ModuleCall call)
    {
        byte[] tokens;
        lock (_lock)
        {
            tokens = new byte[_seen.Count * 2];
            for (int i = 0; i < _seen.Count; i++)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(tokens.AsSpan(i * 2), _seen[i]);
            }
        }

        return Answer(ref call, 0, tokens);
    }

    /// <summary>
    /// Opens the calling session's event whose handle is the input's little-endian uint64 into the
    /// argument's slot (IModuleIo.OpenEvent). Operation 1 also watches it: the first such call makes
    /// a second readiness set and a worker that records, per wake, what Consume took (or, after
    /// operation 2 turned consuming off, only counts its waits).
    /// </summary>
    [SupEntryPoint]
    public int OpenEvent(ref ModuleCall call)
    {
        ulong eventHandle = BinaryPrimitives.ReadUInt64LittleEndian(call.Input);
        int status = _host!.Io.OpenEvent(call.Session, eventHandle, out IModuleIoHandle? handle);
        Keep(call.Argument, handle);
        if (status == 0 && call.Operation == 1)
        {
            if (_eventSet is null)
            {
                status = _host.Io.CreateReadiness(out _eventSet);
                if (status == 0)
                {
                    _host.Threads.Start("event-loop", EventLoop);
                }
            }

            status = status == 0 ? _eventSet!.Add(handle!, IoInterest.Readable, call.Argument) : status;
        }

        return Answer(ref call, status, []);
    }

    /// <summary>
    /// The event loop's record: int64 waits that returned, int32 handles in its set, int32 whether
    /// the argument's slot is closed, then each wake's consumed count as an int64. Operation 2 makes
    /// the loop stop consuming (a signalled event then stays ready).
    /// </summary>
    [SupEntryPoint]
    public int EventWakes(ref ModuleCall call)
    {
        if (call.Operation == 2)
        {
            _eventLoopConsumes = false;
        }

        byte[] answer;
        lock (_lock)
        {
            answer = new byte[16 + (_eventWakes.Count * 8)];
            BinaryPrimitives.WriteInt64LittleEndian(answer, Interlocked.Read(ref _eventLoopWaits));
            BinaryPrimitives.WriteInt32LittleEndian(answer.AsSpan(8), _eventSet?.Count ?? 0);
            BinaryPrimitives.WriteInt32LittleEndian(answer.AsSpan(12), _slots.TryGetValue(call.Argument, out IModuleIoHandle? handle) && handle.IsClosed ? 1 : 0);
            for (int i = 0; i < _eventWakes.Count; i++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(answer.AsSpan(16 + (i * 8)), _eventWakes[i]);
            }
        }

        return Answer(ref call, 0, answer);
    }

    /// <summary>Signals the argument's slot (operation 0) or consumes it (operation 1: the count as an int64).</summary>
    [SupEntryPoint]
    public int SignalOrConsume(ref ModuleCall call)
    {
        IModuleIoHandle handle = Slot(call.Argument);
        if (call.Operation == 0)
        {
            return Answer(ref call, handle.Signal(), []);
        }

        long taken = handle.Consume();
        Span<byte> count = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(count, taken);
        return taken < 0 ? Answer(ref call, (int)taken, []) : Answer(ref call, 0, count);
    }

    /// <summary>
    /// Adopts every descriptor the call carries into slots argument, argument+1, ...; answers an
    /// int32 status per descriptor, then the messages of those that failed, one per line.
    /// </summary>
    [SupEntryPoint]
    public int Adopt(ref ModuleCall call)
    {
        IReadOnlyList<ModuleDescriptor> received = call.Descriptors;
        byte[] statuses = new byte[received.Count * 4];
        var messages = new StringBuilder();
        for (int i = 0; i < received.Count; i++)
        {
            int status = _host!.Io.Adopt(received[i].Take(), out IModuleIoHandle? handle);
            BinaryPrimitives.WriteInt32LittleEndian(statuses.AsSpan(i * 4), status);
            if (status == 0)
            {
                Keep(call.Argument + (ulong)i, handle);
            }
            else
            {
                messages.Append(_host.Io.LastError).Append('\n');
            }
        }

        return Answer(ref call, 0, [.. statuses, .. Encoding.UTF8.GetBytes(messages.ToString())]);
    }

    /// <summary>
    /// Starts a worker that waits without limit on the caller's event semaphore whose handle is the
    /// argument (IModuleEvents.Wait) and logs how the wait ended: the unload must end it.
    /// </summary>
    [SupEntryPoint]
    public int WaitInWorker(ref ModuleCall call)
    {
        ISessionIdentity session = call.Session;
        ulong handle = call.Argument;
        _host!.Threads.Start("event-waiter", _ =>
        {
            int status = _host.Events.Wait(session, handle, -1);
            _host.Log.Write(ModuleLogLevel.Information, $"worker wait ended: {status}", null);
        });
        return Answer(ref call, 0, []);
    }

    /// <summary>The kind of the argument's slot as an int32 (IoHandleKind).</summary>
    [SupEntryPoint]
    public int Kind(ref ModuleCall call)
    {
        Span<byte> kind = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(kind, (int)Slot(call.Argument).Kind);
        return Answer(ref call, 0, kind);
    }

    /// <summary>Creates a TAP: the input is "name|namespace" (an empty namespace: the daemon's), the slot the argument.</summary>
    [SupEntryPoint]
    public int CreateTap(ref ModuleCall call)
    {
        string[] parts = Parts(call.Input);
        int status = _host!.Io.CreateTap(parts[0], Namespace(parts), TapOffloads.Checksum | TapOffloads.TcpSegmentation4 | TapOffloads.TcpSegmentation6, out IModuleIoHandle? tap);
        Keep(call.Argument, tap);
        return Answer(ref call, status, []);
    }

    /// <summary>Opens a promiscuous packet socket: the input is "interface|namespace", the slot the argument; operation 1 asks for PACKET_VNET_HDR.</summary>
    [SupEntryPoint]
    public int OpenPacket(ref ModuleCall call)
    {
        string[] parts = Parts(call.Input);
        int status = _host!.Io.OpenPacketSocket(parts[0], Namespace(parts), promiscuous: true, vnetHeader: call.Operation == 1, out IModuleIoHandle? socket);
        Keep(call.Argument, socket);
        return Answer(ref call, status, []);
    }

    /// <summary>Sets a link: the input is "name|namespace|mtu|mac-hex|up" (empty fields stay as they are).</summary>
    [SupEntryPoint]
    public int Link(ref ModuleCall call)
    {
        string[] parts = Parts(call.Input);
        var settings = new LinkSettings
        {
            Mtu = parts[2].Length > 0 ? int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture) : null,
            MacAddress = parts[3].Length > 0 ? Convert.FromHexString(parts[3]) : (ReadOnlyMemory<byte>?)null,
            Up = parts[4].Length > 0 ? parts[4] == "1" : null,
        };
        return Answer(ref call, _host!.Io.ConfigureLink(parts[0], Namespace(parts), settings), []);
    }

    /// <summary>Moves a link: the input is "name|namespace|target".</summary>
    [SupEntryPoint]
    public int MoveLink(ref ModuleCall call)
    {
        string[] parts = Parts(call.Input);
        return Answer(ref call, _host!.Io.MoveLink(parts[0], Namespace(parts), parts[2]), []);
    }

    /// <summary>Binds a Unix socket of the operation's type (1 stream, 2 datagram) to the input path, into the argument's slot.</summary>
    [SupEntryPoint]
    public int Listen(ref ModuleCall call)
    {
        int status = _host!.Io.Listen((IoSocketType)call.Operation, Encoding.UTF8.GetString(call.Input), 8, out IModuleIoHandle? socket);
        Keep(call.Argument, socket);
        return Answer(ref call, status, []);
    }

    /// <summary>Connects a Unix socket of the operation's type to the input path, into the argument's slot.</summary>
    [SupEntryPoint]
    public int Connect(ref ModuleCall call)
    {
        int status = _host!.Io.Connect((IoSocketType)call.Operation, Encoding.UTF8.GetString(call.Input), out IModuleIoHandle? socket);
        Keep(call.Argument, socket);
        return Answer(ref call, status, []);
    }

    /// <summary>Accepts on the listener in the argument's slot, into the operation's slot.</summary>
    [SupEntryPoint]
    public int Accept(ref ModuleCall call)
    {
        int status = Slot(call.Argument).Accept(out IModuleIoHandle? connection);
        Keep(call.Operation, connection);
        return Answer(ref call, status, []);
    }

    /// <summary>
    /// Reads once from the argument's slot. A non-zero operation is the length of a header read
    /// into a buffer of its own (scatter: the header, then the rest); only the rest is answered.
    /// </summary>
    [SupEntryPoint]
    public int Read(ref ModuleCall call)
    {
        IModuleIoHandle handle = Slot(call.Argument);
        byte[] data = new byte[70000];
        int read;
        int header = (int)call.Operation;
        if (header == 0)
        {
            read = handle.Read(data);
        }
        else
        {
            Memory<byte>[] buffers = [new byte[header], data];
            read = handle.Read(buffers);
            read = read < 0 ? read : Math.Max(0, read - header);
        }

        return read < 0 ? Answer(ref call, read, []) : Answer(ref call, 0, data.AsSpan(0, read));
    }

    /// <summary>Writes the input to the argument's slot; a non-zero operation prepends that many zero bytes as a separate buffer (gather).</summary>
    [SupEntryPoint]
    public int Write(ref ModuleCall call)
    {
        IModuleIoHandle handle = Slot(call.Argument);
        int written = call.Operation == 0
            ? handle.Write(call.Input)
            : handle.Write([new byte[call.Operation], call.Input.ToArray()]);
        Span<byte> count = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(count, written);
        return written < 0 ? Answer(ref call, written, []) : Answer(ref call, 0, count);
    }

    /// <summary>Writes the input to the argument's slot in two parts from spans (IModuleIoHandle.Write(head, body)): the operation is the head's length.</summary>
    [SupEntryPoint]
    public int WriteSplit(ref ModuleCall call)
    {
        IModuleIoHandle handle = Slot(call.Argument);
        int split = (int)Math.Min(call.Operation, (uint)call.Input.Length);
        int written = handle.Write(call.Input[..split], call.Input[split..]);
        Span<byte> count = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(count, written);
        return written < 0 ? Answer(ref call, written, []) : Answer(ref call, 0, count);
    }

    /// <summary>Closes the argument's slot.</summary>
    [SupEntryPoint]
    public int Close(ref ModuleCall call)
    {
        lock (_lock)
        {
            if (_slots.Remove(call.Argument, out IModuleIoHandle? handle))
            {
                handle.Dispose();
            }
        }

        return Answer(ref call, 0, []);
    }

    /// <summary>
    /// Misuses the I/O as a careless module would and answers each status as an int32, in order:
    /// an interest of none, a handle added twice, a wait with no room, a signal of a socket, a read
    /// of 65 buffers, a read of a closed handle, a handle of another set's module added... and a
    /// wait that a second thread ends by disposing the set (ObjectDying), and the set's Count after.
    /// </summary>
    [SupEntryPoint]
    public int Misuse(ref ModuleCall call)
    {
        IModuleIo io = _host!.Io;
        List<int> statuses = [];
        _ = io.CreateReadiness(out IModuleReadiness? set);
        _ = io.CreateSocketPair(IoSocketType.Stream, out IModuleIoHandle? a, out IModuleIoHandle? b);
        statuses.Add(set!.Add(a!, IoInterest.None, 1));
        statuses.Add(set.Add(a!, IoInterest.Readable, 1));
        statuses.Add(set.Add(a!, IoInterest.Readable, 2));
        statuses.Add(set.Wait([], 0, CancellationToken.None));
        statuses.Add(a!.Signal());
        statuses.Add(a.Read(new Memory<byte>[65]));
        b!.Dispose();
        statuses.Add(b.Read(new byte[1]));
        statuses.Add(set.Add(b, IoInterest.Readable, 3));

        // The peer closed: a is readable (end of stream) and reports a hang-up.
        Span<IoReady> ready = stackalloc IoReady[4];
        int count = set.Wait(ready, 0, CancellationToken.None);
        statuses.Add(count);
        statuses.Add(count > 0 ? (int)ready[0].Events : -1);
        statuses.Add(a.Read(new byte[1]));

        // A wait without limit on another worker ends when the set is disposed.
        _ = io.CreateReadiness(out IModuleReadiness? waited);
        using var started = new ManualResetEventSlim();
        int ended = int.MinValue;
        IModuleWorker worker = _host.Threads.Start("waiter", _ =>
        {
            started.Set();
            ended = waited!.Wait(new IoReady[1], -1, CancellationToken.None);
        });
        started.Wait();
        waited!.Dispose();
        worker.CancelAndJoin(TimeSpan.FromSeconds(30));
        statuses.Add(ended);
        statuses.Add(waited.Add(a, IoInterest.Readable, 4));
        a.Dispose();
        statuses.Add(set.Count);
        set.Dispose();

        byte[] answer = new byte[statuses.Count * 4];
        for (int i = 0; i < statuses.Count; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(answer.AsSpan(i * 4), statuses[i]);
        }

        return Answer(ref call, 0, answer);
    }

    /// <summary>Creates events until the host refuses; answers the refusal's status, then the count (int32) and the message. The events stay open.</summary>
    [SupEntryPoint]
    public int Flood(ref ModuleCall call)
    {
        int count = 0;
        int status;
        while ((status = _host!.Io.CreateEvent(out IModuleIoHandle? handle)) == 0)
        {
            Keep(1_000_000 + (ulong)count++, handle);
        }

        byte[] message = Encoding.UTF8.GetBytes(_host.Io.LastError ?? string.Empty);
        byte[] answer = new byte[4 + message.Length];
        BinaryPrimitives.WriteInt32LittleEndian(answer, count);
        message.CopyTo(answer, 4);
        BinaryPrimitives.WriteInt32LittleEndian(call.Output, status);
        answer.AsSpan(0, Math.Min(answer.Length, call.Output.Length - 4)).CopyTo(call.Output[4..]);
        call.OutputLength = 4 + Math.Min(answer.Length, call.Output.Length - 4);
        return 0;
    }

    /// <summary>Closes what <see cref="Flood"/> opened.</summary>
    [SupEntryPoint]
    public int Drain(ref ModuleCall call)
    {
        lock (_lock)
        {
            foreach (ulong slot in _slots.Keys.Where(k => k >= 1_000_000).ToList())
            {
                _slots.Remove(slot, out IModuleIoHandle? handle);
                handle!.Dispose();
            }
        }

        return Answer(ref call, 0, []);
    }

    private static string[] Parts(ReadOnlySpan<byte> input)
    {
        string[] parts = Encoding.UTF8.GetString(input).Split('|');
        return [.. parts, .. Enumerable.Repeat(string.Empty, Math.Max(0, 5 - parts.Length))];
    }

    private static string? Namespace(string[] parts) => parts[1].Length == 0 ? null : parts[1];

    private void Loop(CancellationToken stop)
    {
        Span<IoReady> ready = stackalloc IoReady[32];
        Span<byte> datagram = stackalloc byte[16];
        while (true)
        {
            int count = _readiness!.Wait(ready, -1, stop);
            if (count < 0)
            {
                _host!.Log.Write(ModuleLogLevel.Information, $"io loop ended: {count}", null);
                return;
            }

            for (int i = 0; i < count; i++)
            {
                ulong token = ready[i].Token;
                long taken = token < LoopEvents ? _loopEvents[token].Consume() : _loopReaders[token - LoopEvents].Read(datagram);
                if (taken >= 0)
                {
                    lock (_lock)
                    {
                        _seen.Add((ushort)token);
                    }
                }
            }
        }
    }

    private void EventLoop(CancellationToken stop)
    {
        Span<IoReady> ready = stackalloc IoReady[8];
        while (true)
        {
            int count = _eventSet!.Wait(ready, -1, stop);
            if (count < 0)
            {
                _host!.Log.Write(ModuleLogLevel.Information, $"event loop ended: {count}", null);
                return;
            }

            Interlocked.Increment(ref _eventLoopWaits);
            for (int i = 0; i < count && _eventLoopConsumes; i++)
            {
                long taken = Slot(ready[i].Token).Consume();
                lock (_lock)
                {
                    _eventWakes.Add(taken);
                }
            }
        }
    }

    private IModuleIoHandle Slot(ulong slot)
    {
        lock (_lock)
        {
            return _slots[slot];
        }
    }

    private void Keep(ulong slot, IModuleIoHandle? handle)
    {
        if (handle is not null)
        {
            lock (_lock)
            {
                _slots[slot] = handle;
            }
        }
    }

    /// <summary>
    /// The module's settings (Abi 1.2): operation 0 answers Settings.GetValue of the input key (status
    /// 0 and the value, or 1 when none); operation 1 writes the input as the state file "probe" and
    /// reads it back, answering the state directory then a NUL then what was read.
    /// </summary>
    [SupEntryPoint]
    public int Setting(ref ModuleCall call)
    {
        IModuleSettings settings = _host!.Settings;
        string input = Encoding.UTF8.GetString(call.Input);
        if (call.Operation == 0)
        {
            return settings.GetValue(input) is string value ? Answer(ref call, 0, Encoding.UTF8.GetBytes(value)) : Answer(ref call, 1, []);
        }

        int status = settings.WriteState("probe", call.Input);
        if (status != 0)
        {
            return Answer(ref call, status, Encoding.UTF8.GetBytes(settings.LastError ?? string.Empty));
        }

        status = settings.ReadState("probe", 4096, out byte[]? content);
        return status != 0
            ? Answer(ref call, status, Encoding.UTF8.GetBytes(settings.LastError ?? string.Empty))
            : Answer(ref call, 0, [.. Encoding.UTF8.GetBytes(settings.StateDirectory ?? string.Empty), 0, .. content!]);
    }

    private int Answer(ref ModuleCall call, int status, scoped ReadOnlySpan<byte> data)
    {
        if (status < 0 && data.IsEmpty)
        {
            data = Encoding.UTF8.GetBytes(_host!.Io.LastError ?? string.Empty);
        }

        BinaryPrimitives.WriteInt32LittleEndian(call.Output, status);
        int length = Math.Min(data.Length, call.Output.Length - 4);
        data[..length].CopyTo(call.Output[4..]);
        call.OutputLength = 4 + length;
        return 0;
    }
}
