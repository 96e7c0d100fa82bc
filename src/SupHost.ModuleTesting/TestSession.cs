using System.Text;
using SupHost.Abi;
using SupHost.Driver;
using SupHost.Driver.Internal.Memory;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.ModuleTesting;

/// <summary>
/// A client session of the hosted driver without a connection: the same <c>Session</c> the daemon
/// makes for a connection (its quotas, its objects, its cookie), whose requests go through the
/// daemon's dispatcher as datagrams, one at a time, as a session's thread serves them. It did the
/// Cookie handshake and, unless restricted, opened the module (one module reference, as a client's
/// LDR_OPEN). <see cref="End"/> is its client hanging up.
/// </summary>
public sealed class TestSession : IDisposable
{
    private readonly ModuleTestHost _host;
    private readonly SupDriver _driver;
    private readonly Session _session;
    private readonly CancellationTokenSource _closing;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ulong> _symbols = new(StringComparer.Ordinal);
    private ulong _cookie;
    private ulong _module;
    private uint _sequence;
    private volatile bool _ending;
    private volatile bool _abandoned;
    private int _ended;

    internal TestSession(ModuleTestHost host, SupDriver driver, Session session, CancellationTokenSource closing)
    {
        _host = host;
        _driver = driver;
        _session = session;
        _closing = closing;
    }

    /// <summary>The session's id, as <c>call.Session.Id</c> shows it.</summary>
    public uint Id => _session.Id;

    /// <summary>The peer's pid it was made with.</summary>
    public int ProcessId => _session.ProcessId;

    /// <summary>The peer's uid it was made with (quotas and access checks use it).</summary>
    public uint UserId => _session.UserId;

    /// <summary>The peer's gid it was made with.</summary>
    public uint GroupId => _session.GroupId;

    /// <summary>Whether it is a session of the restricted endpoint (no module calls).</summary>
    public bool IsRestricted => _session.IsRestricted;

    /// <summary>Whether its cleanup has run.</summary>
    public bool HasEnded => Volatile.Read(ref _ended) != 0;

    internal ModuleTestHost Host => _host;

    /// <summary>
    /// Sends one request, as a client would: a header with this session's cookie and the next
    /// sequence number, then <paramref name="input"/>, and <paramref name="descriptors"/> as
    /// <c>SCM_RIGHTS</c> would deliver them (duplicates; at most 16 arrive, more is a truncated
    /// control message). The dispatcher validates and runs it exactly as for a connection.
    /// </summary>
    /// <param name="function">The function.</param>
    /// <param name="input">The request's payload.</param>
    /// <param name="outputSize">The largest reply payload accepted.</param>
    /// <param name="descriptors">Descriptors to send; the caller keeps its own.</param>
    /// <returns>The reply; <see cref="ObjectDisposedException"/> once the session has ended.</returns>
    public TestReply Request(SupFunction function, ReadOnlySpan<byte> input, int outputSize, IReadOnlyList<SafeFd>? descriptors = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(outputSize);
        byte[] request = new byte[ProtocolConstants.HeaderSize + input.Length];
        input.CopyTo(request.AsSpan(ProtocolConstants.HeaderSize));

        // The reply buffer a connection uses: the output asked for, or room for an error message.
        int maxOutput = _driver.Dispatcher.MaxOutputSize;
        byte[] reply = new byte[ProtocolConstants.HeaderSize + Math.Max(ProtocolConstants.MaxMessageSize, outputSize <= maxOutput ? outputSize : 0)];
        TestReply result;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_ending, this);
            uint sequence = ++_sequence == 0 ? ++_sequence : _sequence;
            MessageHeader.ForRequest(_cookie, function, input.Length, outputSize, sequence).Write(request);
            result = Dispatch(request, reply, descriptors);
        }

        // A session whose end gave up waiting for this call is cleaned up now, on the call's
        // thread, as a connection's thread cleans up once its call returns.
        if (_abandoned)
        {
            TryEndNow("the client hung up");
        }

        return result;
    }

    /// <summary>
    /// Allocates <paramref name="pages"/> shared pages as a client does (PageAlloc), mapped
    /// read-write here; disposing the result unmaps and frees them. Modules reach them by
    /// <see cref="TestMemory.Handle"/>.
    /// </summary>
    public TestMemory AllocatePages(int pages, bool locked = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pages);
        Span<byte> input = stackalloc byte[PageAllocRequest.Size];
        new PageAllocRequest((uint)pages, locked ? PageAllocRequest.LockFlag : 0).Write(input);
        using TestReply reply = Request(SupFunction.PageAlloc, input, PageAllocReply.Size);
        Check(reply, $"allocating {pages} pages");
        PageAllocReply allocation = PageAllocReply.Read(reply.Output);
        return new TestMemory(this, allocation.Handle, Libc.Duplicate(reply.Descriptors[0]), (long)allocation.Length);
    }

    /// <summary>
    /// Maps memory the module made for this session (<c>host.Memory.Allocate(call.Session, ...)</c>)
    /// from the descriptor its reply carried, as the client would; the caller keeps its descriptor.
    /// Disposing the result unmaps and frees the allocation, as the client library's does.
    /// </summary>
    public TestMemory MapMemory(ulong handle, SafeFd descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        long length = _driver.Objects.Resolve(_session, handle)?.Payload is MemoryBlock block
            ? block.Mapping.Length
            : throw new ArgumentException($"session {Id} holds no allocation 0x{handle:x16}", nameof(handle));
        return new TestMemory(this, handle, Libc.Duplicate(descriptor), length);
    }

    /// <summary>Creates an event semaphore as a client does (EventCreate); disposing the result closes it.</summary>
    public TestEvent CreateEvent(bool multi = false)
    {
        Span<byte> input = stackalloc byte[EventCreateRequest.Size];
        new EventCreateRequest(multi ? EventKind.Multi : EventKind.AutoReset).Write(input);
        using TestReply reply = Request(SupFunction.EventCreate, input, HandleReply.Size);
        Check(reply, "creating an event");
        return new TestEvent(this, HandleReply.Read(reply.Output).Handle, multi, Libc.Duplicate(reply.Descriptors[0]));
    }

    /// <summary>
    /// Opens an event the module made for this session (<c>host.Events.Create(call.Session, ...)</c>)
    /// from the descriptor its reply carried; the caller keeps its descriptor.
    /// </summary>
    public TestEvent OpenEvent(ulong handle, SafeFd descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        bool multi = _driver.Objects.Resolve(_session, handle)?.Type.Id switch
        {
            (uint)ObjectTypeId.EventSemaphore => false,
            (uint)ObjectTypeId.EventMultiSemaphore => true,
            _ => throw new ArgumentException($"session {Id} holds no event 0x{handle:x16}", nameof(handle)),
        };
        return new TestEvent(this, handle, multi, Libc.Duplicate(descriptor));
    }

    /// <summary>Drops one of this session's references to an object (ObjectRelease); <see cref="SupStatus.ObjectDestroyed"/> when it was the last.</summary>
    public SupStatus Release(ulong handle)
    {
        using TestReply reply = HandleCall(SupFunction.ObjectRelease, handle);
        return reply.Status;
    }

    /// <summary>
    /// Ends the session as a client's hang-up does: its token (<see cref="ModuleCall.Cancellation"/>
    /// of a call running for it) is cancelled, and once that call has returned the daemon's one
    /// cleanup path runs (its objects, memory, events, factories, module references, in that
    /// order). Returns false when a running call did not return within the cancellation grace:
    /// its cleanup then runs when it does. Idempotent.
    /// </summary>
    public bool End()
    {
        if (HasEnded)
        {
            return true;
        }

        _ending = true;
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Ended meanwhile by the call's own thread.
            return true;
        }
        catch (AggregateException ex)
        {
            // A module's registration callback threw: the token is cancelled all the same.
            _host.LogCancelFailure(Id, ex);
        }

        if (!_gate.TryEnter(_host.CancelGrace))
        {
            _abandoned = true;

            // The call may have returned between the wait and the flag: then its thread saw no flag.
            if (!_gate.TryEnter())
            {
                return HasEnded;
            }
        }

        try
        {
            EndNow("the client hung up");
        }
        finally
        {
            _gate.Exit();
        }

        return true;
    }

    /// <summary>Ends the session (<see cref="End"/>).</summary>
    public void Dispose() => End();

    /// <summary>Resolves and calls an entry point, as a client does (LDR_GET_SYMBOL once, then ModuleCall).</summary>
    internal TestReply Call(string entryPoint, uint operation, ulong argument, ReadOnlySpan<byte> input, int outputSize, IReadOnlyList<SafeFd>? descriptors)
    {
        ArgumentNullException.ThrowIfNull(entryPoint);
        ulong symbol;
        lock (_symbols)
        {
            _symbols.TryGetValue(entryPoint, out symbol);
        }

        if (symbol == 0)
        {
            Span<byte> lookup = stackalloc byte[ModuleSymbolRequest.Size];
            new ModuleSymbolRequest(_module, entryPoint).Write(lookup);
            TestReply found = Request(SupFunction.ModuleGetSymbol, lookup, HandleReply.Size);
            if (found.IsError)
            {
                return found;
            }

            using (found)
            {
                symbol = HandleReply.Read(found.Output).Handle;
            }

            lock (_symbols)
            {
                _symbols[entryPoint] = symbol;
            }
        }

        byte[] request = new byte[ModuleCallRequest.FixedSize + input.Length];
        new ModuleCallRequest(symbol, operation, argument).Write(request);
        input.CopyTo(request.AsSpan(ModuleCallRequest.FixedSize));
        return Request(SupFunction.ModuleCall, request, outputSize, descriptors);
    }

    /// <summary>Sends a service request to the module (ModuleCallService), as a client does.</summary>
    internal TestReply CallService(string module, uint operation, ulong argument, ReadOnlySpan<byte> input, int outputSize, IReadOnlyList<SafeFd>? descriptors)
    {
        byte[] request = new byte[ServiceCallRequest.FixedSize + input.Length];
        new ServiceCallRequest(module, operation, argument).Write(request);
        input.CopyTo(request.AsSpan(ServiceCallRequest.FixedSize));
        return Request(SupFunction.ModuleCallService, request, outputSize, descriptors);
    }

    /// <summary>The handshake, and for a full session LDR_OPEN of <paramref name="module"/>.</summary>
    internal void Open(string module)
    {
        Span<byte> cookie = stackalloc byte[CookieRequest.Size];
        new CookieRequest(ProtocolConstants.CookieMagic, ProtocolConstants.Version).Write(cookie);
        using (TestReply reply = Request(SupFunction.Cookie, cookie, CookieReply.Size))
        {
            Check(reply, "the handshake");
            _cookie = CookieReply.Read(reply.Output).Cookie;
        }

        if (IsRestricted)
        {
            // A restricted session may not open modules; its calls are refused as the daemon refuses them.
            return;
        }

        Span<byte> name = stackalloc byte[ProtocolConstants.NameFieldSize];
        NameField.Write(name, module);
        using TestReply open = Request(SupFunction.ModuleOpen, name, ModuleOpenReply.Size);
        Check(open, $"opening module '{module}'");
        _module = ModuleOpenReply.Read(open.Output).Handle;
    }

    /// <summary>A closing request (PageFree, EventClose) that may find the session, and with it the object, gone.</summary>
    internal void CloseQuietly(SupFunction function, ulong handle)
    {
        if (_ending)
        {
            return;
        }

        try
        {
            HandleCall(function, handle).Dispose();
        }
        catch (ObjectDisposedException)
        {
            // The session ended meanwhile, and its cleanup closed the object.
        }
    }

    internal static void Check(TestReply reply, string what)
    {
        if (reply.IsError)
        {
            throw new InvalidOperationException($"{what} failed: {reply}");
        }
    }

    private TestReply HandleCall(SupFunction function, ulong handle)
    {
        Span<byte> input = stackalloc byte[HandleRequest.Size];
        new HandleRequest(handle).Write(input);
        return Request(function, input, 0);
    }

    /// <summary>One datagram through the dispatcher, under the session's gate: the connection's steps around <c>Dispatcher.Process</c>.</summary>
    private TestReply Dispatch(byte[] request, byte[] reply, IReadOnlyList<SafeFd>? send)
    {
        // What the kernel hands the daemon for SCM_RIGHTS: its own duplicates, as many as its
        // control buffer takes (the rest closed, MSG_CTRUNC set).
        var fds = new List<SafeFd>();
        bool truncated = send is not null && send.Count > ProtocolConstants.MaxDescriptorsPerCall;
        int length;
        SafeFd? descriptor;
        ModuleCallDescriptors? transfer;
        try
        {
            foreach (SafeFd fd in send?.Take(ProtocolConstants.MaxDescriptorsPerCall) ?? [])
            {
                fds.Add(Libc.Duplicate(fd));
            }

            length = _driver.Dispatcher.Process(_session, request, request.Length, fds, truncated, reply, out descriptor, out transfer);
        }
        finally
        {
            // What no module call took is closed, whatever happened.
            foreach (SafeFd fd in fds)
            {
                fd.Dispose();
            }
        }

        // What the client receives: its own duplicates of the reply's descriptors; the daemon's
        // copies of a module call's are closed once the reply is out, as a connection closes them.
        var received = new List<SafeFd>();
        try
        {
            if (transfer is { Reply.Count: > 0 })
            {
                foreach (ModuleDescriptor sent in transfer.Reply)
                {
                    received.Add(Libc.Duplicate((SafeFd)sent.Handle));
                }
            }
            else if (descriptor is not null)
            {
                received.Add(Libc.Duplicate(descriptor));
            }
        }
        catch
        {
            received.ForEach(d => d.Dispose());
            throw;
        }
        finally
        {
            transfer?.CloseAll();
        }

        var header = MessageHeader.Read(reply);
        byte[] payload = reply.AsSpan(ProtocolConstants.HeaderSize, length - ProtocolConstants.HeaderSize).ToArray();
        bool fromModule = (header.Flags & HeaderFlags.ModuleStatus) != HeaderFlags.None;
        return (header.Flags & HeaderFlags.Message) != HeaderFlags.None
            ? new TestReply(header.Status, fromModule, [], Encoding.UTF8.GetString(payload), received)
            : new TestReply(header.Status, fromModule, payload, null, received);
    }

    private void TryEndNow(string reason)
    {
        if (_gate.TryEnter())
        {
            try
            {
                EndNow(reason);
            }
            finally
            {
                _gate.Exit();
            }
        }
    }

    /// <summary>The daemon's cleanup of the session (under the gate, so no request of it runs), once.</summary>
    private void EndNow(string reason)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }

        _driver.EndSession(_session, reason);
        _closing.Dispose();
        _host.SessionEnded(this);
    }
}
