using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Client;

/// <summary>
/// A session with the SupHost daemon (SUPLib): connects, does the handshake, and offers every
/// request as a typed call, synchronous and asynchronous. Safe to use from many threads: requests
/// on one client are serialised (one in flight at a time, as the protocol has it); open several
/// clients for parallel requests. Failures throw <see cref="SupException"/>.
/// </summary>
public sealed class SupClient : IDisposable
{
    /// <summary>A listing's first output size: fits under the smallest request limit; larger replies say what they need.</summary>
    private const int InitialListingSize = ProtocolConstants.MinMaxRequestSize - ProtocolConstants.HeaderSize;

    /// <summary>The largest page of a listing asked for, whatever the daemon would take: bounds the buffer a listing keeps.</summary>
    private const int LargestPage = 1 << 20;

    private readonly Lock _gate = new();
    private readonly Lock _gipGate = new();
    private readonly SafeFd _fd;
    private readonly int _largestSend;
    private byte[] _buffer = new byte[ProtocolConstants.HeaderSize + InitialListingSize];
    private ulong _cookie;
    private uint _sequence;
    private int _disposed;
    private int _gipMappings;
    private IntNetModule? _intnet;

    private SupClient(SafeFd fd, string socketPath, int largestSend)
    {
        _fd = fd;
        SocketPath = socketPath;
        _largestSend = largestSend;
    }

    /// <summary>The socket this client is connected to.</summary>
    public string SocketPath { get; }

    /// <summary>The session's id in the daemon.</summary>
    public uint SessionId { get; private set; }

    /// <summary>The session came through the restricted endpoint.</summary>
    public bool IsRestricted { get; private set; }

    /// <summary>The daemon's interface version (major &lt;&lt; 16 | minor).</summary>
    public uint ServerVersion { get; private set; }

    /// <summary>Connects and does the handshake.</summary>
    /// <exception cref="SupException">
    /// <see cref="SupStatus.DaemonNotRunning"/>, <see cref="SupStatus.PermissionDenied"/>,
    /// <see cref="SupStatus.VersionMismatch"/> or another status from the handshake.
    /// </exception>
    public static SupClient Connect(SupClientOptions? options = null)
    {
        options ??= new SupClientOptions();
        string path = options.ResolveSocketPath();
        SafeFd fd = Libc.Socket(Libc.AF_UNIX, Libc.SOCK_SEQPACKET);
        int largestSend;
        try
        {
            // Sized for the largest request any daemon may accept: a datagram longer than the send
            // buffer fails with EMSGSIZE (unix(7)). Without CAP_NET_ADMIN the kernel caps it at
            // net.core.wmem_max; requests beyond what it allows are refused here with RequestNotSent.
            largestSend = Libc.SizeBuffers(fd, ProtocolConstants.MaxMaxRequestSize, ProtocolConstants.HeaderSize + ProtocolConstants.MaxMaxRequestSize);
            Libc.Connect(fd, path);
            if (options.Timeout > TimeSpan.Zero)
            {
                Libc.SetReceiveTimeout(fd, options.Timeout);
            }
        }
        catch (NativeException ex)
        {
            fd.Dispose();
            throw ex.Errno switch
            {
                Errno.ENOENT or Errno.ECONNREFUSED => new SupException(SupStatus.DaemonNotRunning, $"supd is not running: nothing listens on {path}", ex),
                Errno.EACCES or Errno.EPERM => new SupException(SupStatus.PermissionDenied, $"permission denied on {path}: the full endpoint needs the daemon's socket group", ex),
                _ => new SupException(SupStatus.GeneralFailure, $"cannot connect to {path}: {ex.Message}", ex),
            };
        }
        catch (ArgumentException ex)
        {
            fd.Dispose();
            throw new SupException(SupStatus.InvalidParameter, ex.Message, ex);
        }

        var client = new SupClient(fd, path, largestSend);
        try
        {
            client.Handshake(options.RequestedVersion);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Connects and does the handshake without blocking the caller.</summary>
    public static Task<SupClient> ConnectAsync(SupClientOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Connect(options), cancellationToken);

    /// <summary>Does nothing in the daemon: measures a round trip.</summary>
    public void Nop() => Call(SupFunction.Nop, ReadOnlySpan<byte>.Empty, 0);

    /// <summary>Asynchronous <see cref="Nop"/>.</summary>
    public Task NopAsync(CancellationToken cancellationToken = default) => Task.Run(Nop, cancellationToken);

    /// <summary>The daemon's status.</summary>
    public StatusInfo QueryStatus() => Listing(SupFunction.QueryStatus, ListingJsonContext.Default.StatusInfo);

    /// <summary>Asynchronous <see cref="QueryStatus"/>.</summary>
    public Task<StatusInfo> QueryStatusAsync(CancellationToken cancellationToken = default) => Task.Run(QueryStatus, cancellationToken);

    /// <summary>Every open session (full sessions only).</summary>
    public IReadOnlyList<SessionInfo> ListSessions() => PagedListing(SupFunction.ListSessions, ListingJsonContext.Default.ListSessionInfo);

    /// <summary>Asynchronous <see cref="ListSessions"/>.</summary>
    public Task<IReadOnlyList<SessionInfo>> ListSessionsAsync(CancellationToken cancellationToken = default) => Task.Run(ListSessions, cancellationToken);

    /// <summary>Every live object (full sessions only).</summary>
    public IReadOnlyList<ObjectInfo> ListObjects() => PagedListing(SupFunction.ListObjects, ListingJsonContext.Default.ListObjectInfo);

    /// <summary>Asynchronous <see cref="ListObjects"/>.</summary>
    public Task<IReadOnlyList<ObjectInfo>> ListObjectsAsync(CancellationToken cancellationToken = default) => Task.Run(ListObjects, cancellationToken);

    /// <summary>Every registered factory (full sessions only).</summary>
    public IReadOnlyList<FactoryInfo> ListFactories() => PagedListing(SupFunction.ListFactories, ListingJsonContext.Default.ListFactoryInfo);

    /// <summary>Asynchronous <see cref="ListFactories"/>.</summary>
    public Task<IReadOnlyList<FactoryInfo>> ListFactoriesAsync(CancellationToken cancellationToken = default) => Task.Run(ListFactories, cancellationToken);

    /// <summary>
    /// Registers an object this session holds one reference to. <paramref name="mode"/> is Unix
    /// permission bits (group bits let the creator's group open it, other bits everyone).
    /// </summary>
    /// <returns>The object's handle.</returns>
    public ulong RegisterObject(ObjectTypeId type, string? name = null, uint mode = 0x180, ObjectFlags flags = ObjectFlags.None)
    {
        Span<byte> input = stackalloc byte[ObjectRegisterRequest.Size];
        new ObjectRegisterRequest(type, mode, flags, name).Write(input);
        return HandleReply.Read(Call(SupFunction.ObjectRegister, input, HandleReply.Size).Payload).Handle;
    }

    /// <summary>Asynchronous <see cref="RegisterObject"/>.</summary>
    public Task<ulong> RegisterObjectAsync(ObjectTypeId type, string? name = null, uint mode = 0x180, ObjectFlags flags = ObjectFlags.None, CancellationToken cancellationToken = default) =>
        Task.Run(() => RegisterObject(type, name, mode, flags), cancellationToken);

    /// <summary>Opens a named object, adding a reference for this session.</summary>
    /// <returns>The object's handle.</returns>
    public ulong OpenObject(ObjectTypeId type, string name)
    {
        Span<byte> input = stackalloc byte[ObjectOpenRequest.Size];
        new ObjectOpenRequest(type, name).Write(input);
        return HandleReply.Read(Call(SupFunction.ObjectOpen, input, HandleReply.Size).Payload).Handle;
    }

    /// <summary>Asynchronous <see cref="OpenObject"/>.</summary>
    public Task<ulong> OpenObjectAsync(ObjectTypeId type, string name, CancellationToken cancellationToken = default) =>
        Task.Run(() => OpenObject(type, name), cancellationToken);

    /// <summary>Adds a reference to an object this session holds.</summary>
    public void AddReference(ulong handle) => HandleCall(SupFunction.ObjectAddRef, handle);

    /// <summary>Releases one reference; returns <see cref="SupStatus.ObjectDestroyed"/> when it was the last.</summary>
    public SupStatus Release(ulong handle) => HandleCall(SupFunction.ObjectRelease, handle);

    /// <summary>Asynchronous <see cref="Release"/>.</summary>
    public Task<SupStatus> ReleaseAsync(ulong handle, CancellationToken cancellationToken = default) => Task.Run(() => Release(handle), cancellationToken);

    /// <summary>Registers a component factory owned by this session, answering <paramref name="interfaces"/>.</summary>
    /// <returns>The factory's id.</returns>
    public ulong RegisterFactory(string name, IReadOnlyList<Guid> interfaces)
    {
        ArgumentNullException.ThrowIfNull(interfaces);
        if (interfaces.Count is 0 or > ProtocolConstants.MaxFactoryInterfaces)
        {
            throw new SupException(SupStatus.InvalidParameter, $"a factory answers 1 to {ProtocolConstants.MaxFactoryInterfaces} interfaces, not {interfaces.Count}");
        }

        var request = new FactoryRegisterRequest(name, interfaces);
        Span<byte> input = stackalloc byte[request.Size];
        request.Write(input);
        return HandleReply.Read(Call(SupFunction.FactoryRegister, input, HandleReply.Size).Payload).Handle;
    }

    /// <summary>Deregisters a factory this session registered.</summary>
    public void DeregisterFactory(ulong factoryId) => HandleCall(SupFunction.FactoryDeregister, factoryId);

    /// <summary>Finds the first factory named <paramref name="name"/> that answers <paramref name="interfaceId"/>.</summary>
    public FactoryQueryReply QueryFactory(string name, Guid interfaceId)
    {
        Span<byte> input = stackalloc byte[FactoryQueryRequest.Size];
        new FactoryQueryRequest(name, interfaceId).Write(input);
        return FactoryQueryReply.Read(Call(SupFunction.FactoryQuery, input, FactoryQueryReply.Size).Payload);
    }

    /// <summary>Asynchronous <see cref="QueryFactory"/>.</summary>
    public Task<FactoryQueryReply> QueryFactoryAsync(string name, Guid interfaceId, CancellationToken cancellationToken = default) =>
        Task.Run(() => QueryFactory(name, interfaceId), cancellationToken);

    /// <summary>Opens a module by name (LDR_OPEN); the session holds a reference until it frees the module or ends.</summary>
    public ModuleOpenReply OpenModule(string name)
    {
        Span<byte> input = stackalloc byte[ProtocolConstants.NameFieldSize];
        NameField.Write(input, name);
        return ModuleOpenReply.Read(Call(SupFunction.ModuleOpen, input, ModuleOpenReply.Size).Payload);
    }

    /// <summary>
    /// Runs an opened module's init (LDR_LOAD); <see cref="SupStatus.AlreadyLoaded"/> when it ran before.
    /// With <paramref name="pin"/> the daemon keeps the module loaded after this session ends.
    /// </summary>
    public SupStatus LoadModule(ulong module, bool pin = false) => HandleFlagsCall(SupFunction.ModuleLoad, module, pin);

    /// <summary>
    /// Drops this session's reference (LDR_FREE), and with <paramref name="unpin"/> the daemon's pin;
    /// <see cref="SupStatus.ModuleUnloaded"/> when that was the last and the module was unloaded.
    /// </summary>
    public SupStatus FreeModule(ulong module, bool unpin = false) => HandleFlagsCall(SupFunction.ModuleFree, module, unpin);

    /// <summary>Resolves an exported entry point of a loaded module (LDR_GET_SYMBOL).</summary>
    public ulong GetSymbol(ulong module, string symbol)
    {
        Span<byte> input = stackalloc byte[ModuleSymbolRequest.Size];
        new ModuleSymbolRequest(module, symbol).Write(input);
        return HandleReply.Read(Call(SupFunction.ModuleGetSymbol, input, HandleReply.Size).Payload).Handle;
    }

    /// <summary>Calls an entry point; the reply's payload is what it wrote (at most <paramref name="outputSize"/> bytes).</summary>
    public SupReply CallModule(ulong symbol, uint operation, ulong argument, ReadOnlySpan<byte> input, int outputSize)
    {
        byte[] request = new byte[ModuleCallRequest.FixedSize + input.Length];
        new ModuleCallRequest(symbol, operation, argument).Write(request);
        input.CopyTo(request.AsSpan(ModuleCallRequest.FixedSize));
        return Call(SupFunction.ModuleCall, request, outputSize);
    }

    /// <summary>
    /// Calls an entry point with descriptors both ways (protocol 1.1): <paramref name="send"/> goes
    /// with the request (at most <see cref="ProtocolConstants.MaxDescriptorsPerCall"/>; the caller
    /// keeps its own copies and may close them at once), and <paramref name="received"/> is what
    /// the module put in its reply, in its order, each owned by the caller from now on. A failed
    /// call throws and receives none.
    /// </summary>
    public SupReply CallModule(ulong symbol, uint operation, ulong argument, ReadOnlySpan<byte> input, int outputSize, IReadOnlyList<SafeFd> send, out IReadOnlyList<SafeFd> received)
    {
        ArgumentNullException.ThrowIfNull(send);
        byte[] request = new byte[ModuleCallRequest.FixedSize + input.Length];
        new ModuleCallRequest(symbol, operation, argument).Write(request);
        input.CopyTo(request.AsSpan(ModuleCallRequest.FixedSize));
        var descriptors = new List<SafeFd>();
        try
        {
            SafeFd[] outgoing = [.. send];
            SupReply reply = Call(SupFunction.ModuleCall, request, outputSize, descriptors, outgoing);
            received = [.. descriptors];
            descriptors.Clear();
            return reply;
        }
        finally
        {
            descriptors.ForEach(d => d.Dispose());
        }
    }

    /// <summary>Calls an entry point with no payload either way: the cheapest module call.</summary>
    public SupStatus CallModule(ulong symbol, uint operation, ulong argument)
    {
        Span<byte> request = stackalloc byte[ModuleCallRequest.FixedSize];
        new ModuleCallRequest(symbol, operation, argument).Write(request);
        return Call(SupFunction.ModuleCall, request, 0).Status;
    }

    /// <summary>Asynchronous <see cref="CallModule(ulong, uint, ulong, ReadOnlySpan{byte}, int)"/>.</summary>
    public Task<SupReply> CallModuleAsync(ulong symbol, uint operation, ulong argument, ReadOnlyMemory<byte> input, int outputSize, CancellationToken cancellationToken = default) =>
        Task.Run(() => CallModule(symbol, operation, argument, input.Span, outputSize), cancellationToken);

    /// <summary>Sends a service request to a module this session opened (CALL_SERVICE).</summary>
    public SupReply CallService(string module, uint operation, ulong argument, ReadOnlySpan<byte> input, int outputSize)
    {
        byte[] request = new byte[ServiceCallRequest.FixedSize + input.Length];
        new ServiceCallRequest(module, operation, argument).Write(request);
        input.CopyTo(request.AsSpan(ServiceCallRequest.FixedSize));
        return Call(SupFunction.ModuleCallService, request, outputSize);
    }

    /// <summary>Locks module loading down for the daemon's life (LDR_LOCK_DOWN).</summary>
    public void LockDownModules() => Call(SupFunction.ModuleLockDown, ReadOnlySpan<byte>.Empty, 0);

    /// <summary>Every module and who holds it (full sessions only).</summary>
    public IReadOnlyList<ModuleInfo> ListModules() => PagedListing(SupFunction.ListModules, ListingJsonContext.Default.ListModuleInfo);

    /// <summary>Asynchronous <see cref="ListModules"/>.</summary>
    public Task<IReadOnlyList<ModuleInfo>> ListModulesAsync(CancellationToken cancellationToken = default) => Task.Run(ListModules, cancellationToken);

    /// <summary>
    /// Sends one request and returns the reply's status and payload (a copy). Errors throw
    /// <see cref="SupException"/> with the daemon's message. The building block of every typed call.
    /// </summary>
    public SupReply Call(SupFunction function, ReadOnlySpan<byte> input, int outputSize) => Call(function, input, outputSize, descriptors: null);

    /// <summary>
    /// Allocates <paramref name="pages"/> 4 KiB pages the daemon (and its modules) share with this
    /// process, mapped read-write here. Disposing the result unmaps it and frees the allocation.
    /// </summary>
    public SharedMemory AllocatePages(uint pages, bool locked = false)
    {
        Span<byte> input = stackalloc byte[PageAllocRequest.Size];
        new PageAllocRequest(pages, locked ? PageAllocRequest.LockFlag : 0).Write(input);
        (SupReply reply, SafeFd fd) = CallForDescriptor(SupFunction.PageAlloc, input, PageAllocReply.Size);
        PageAllocReply allocation = PageAllocReply.Read(reply.Payload);
        return new SharedMemory(this, allocation.Handle, fd, (long)allocation.Length);
    }

    /// <summary>
    /// Creates an event semaphore of this session; the daemon sends its eventfd, so waiting and
    /// signalling here cost no round trip. Disposing the result closes it.
    /// </summary>
    public EventSemaphore CreateEvent(EventKind kind = EventKind.AutoReset)
    {
        Span<byte> input = stackalloc byte[EventCreateRequest.Size];
        new EventCreateRequest(kind).Write(input);
        (SupReply reply, SafeFd fd) = CallForDescriptor(SupFunction.EventCreate, input, HandleReply.Size);
        return new EventSemaphore(this, HandleReply.Read(reply.Payload).Handle, kind, fd);
    }

    /// <summary>
    /// Maps the global information page read-only (restricted sessions may) and returns it with a
    /// clock that reads nanoseconds from it and the TSC without a system call. The daemon updates
    /// the page while any session maps it; disposing the result drops this session's mapping.
    /// </summary>
    public GipMapping MapGip()
    {
        lock (_gipGate)
        {
            (SupReply reply, SafeFd fd) = CallForDescriptor(SupFunction.GipMap, ReadOnlySpan<byte>.Empty, GipMapReply.Size);
            _gipMappings++;
            try
            {
                return new GipMapping(this, fd, (long)GipMapReply.Read(reply.Payload).Length);
            }
            catch
            {
                // Not mappable here (or not a GIP this library reads): undo the session's mapping too.
                GipMappingDisposed();
                throw;
            }
        }
    }

    /// <summary>The session maps the GIP once however many <see cref="GipMapping"/>s it has: the last one to go unmaps it.</summary>
    internal void GipMappingDisposed()
    {
        lock (_gipGate)
        {
            if (--_gipMappings > 0)
            {
                return;
            }

            IgnoringSessionEnd(() => Call(SupFunction.GipUnmap, ReadOnlySpan<byte>.Empty, 0), SupStatus.NotFound);
        }
    }

    /// <summary>Every allocation by session (full sessions only).</summary>
    public IReadOnlyList<MemoryInfo> ListMemory() => PagedListing(SupFunction.ListMemory, ListingJsonContext.Default.ListMemoryInfo);

    /// <summary>
    /// Opens an interface on an IntNet network (the intnet module's Open), creating the network
    /// when it does not exist, and maps its buffer. Disposing the result closes the interface.
    /// </summary>
    /// <exception cref="SupException">
    /// The switch's statuses (with its message; <see cref="SupException.IsModuleStatus"/> is set):
    /// <see cref="SupStatus.InvalidParameter"/>, <see cref="SupStatus.InvalidName"/>,
    /// <see cref="SupStatus.PermissionDenied"/>, <see cref="SupStatus.IncompatibleTrunk"/>,
    /// <see cref="SupStatus.IncompatibleFlags"/>, <see cref="SupStatus.TrunkNotFound"/>,
    /// <see cref="SupStatus.TrunkBusy"/>, <see cref="SupStatus.LimitReached"/>;
    /// <see cref="SupStatus.ModuleNotFound"/> when the daemon has no intnet module.
    /// </exception>
    public IntNetInterface OpenIntNetInterface(IntNetOpenOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return IntNetInterface.Open(IntNet(), options);
    }

    /// <summary>
    /// Creates a network without opening an interface on it (NetCreate), with the options' trunk and
    /// policy flags (their ring sizes are ignored). A persistent network stays when its last
    /// interface closes, until <see cref="DeleteIntNetNetwork"/>.
    /// </summary>
    /// <returns>
    /// True when it was created; false when a network of that name exists already (the switch answers
    /// -16 AlreadyExists and keeps that network as it is: its settings are not compared with the options).
    /// </returns>
    public bool CreateIntNetNetwork(IntNetOpenOptions options, bool persistent = true)
    {
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            SupReply reply = IntNet().Call("NetCreate", 0, 0, IntNetWire.OpenRequest(options, persistent, create: true), IntNetWire.OpenReplySize);
            return IntNetInterface.ReadOpenReply(reply.Payload).Created;
        }
        catch (SupException ex) when (ex.Status == SupStatus.AlreadyExists)
        {
            return false;
        }
    }

    /// <summary>Deletes a network (NetDelete): its interfaces are closed (their waits return <see cref="SupStatus.ObjectDying"/>).</summary>
    public void DeleteIntNetNetwork(string name) => IntNet().Call("NetDelete", 0, 0, IntNetWire.NetworkName(name), 0);

    /// <summary>The networks as the switch lists them (NetList): the JSON document <c>{"networks":[...]}</c> of docs/intnet.md, "Listings".</summary>
    public string ListIntNetNetworks() => IntNet().Listing("NetList", []);

    /// <summary>One network with its ports, trunk and counters (NetShow): a JSON document as docs/intnet.md, "Listings", describes it.</summary>
    public string ShowIntNetNetwork(string name) => IntNet().Listing("NetShow", IntNetWire.NetworkName(name));

    /// <summary>
    /// Starts capturing every frame the network switches (CaptureStart); the caller needs access to
    /// the network. <paramref name="snapLength"/>: the most bytes of each frame kept (0: 65535).
    /// </summary>
    public IntNetCapture StartIntNetCapture(string network, int snapLength = 0) => IntNetCapture.Start(IntNet(), network, snapLength);

    /// <summary>The intnet module, opened once for this session and kept until it ends.</summary>
    internal IntNetModule IntNet()
    {
        IntNetModule? module = Volatile.Read(ref _intnet);
        if (module is not null)
        {
            return module;
        }

        lock (_gipGate)
        {
            return _intnet ??= new IntNetModule(this);
        }
    }

    /// <summary>A call whose reply carries exactly one descriptor, which the caller then owns.</summary>
    private (SupReply Reply, SafeFd Descriptor) CallForDescriptor(SupFunction function, ReadOnlySpan<byte> input, int outputSize)
    {
        var descriptors = new List<SafeFd>();
        try
        {
            SupReply reply = Call(function, input, outputSize, descriptors);
            if (descriptors.Count != 1)
            {
                throw new SupException(SupStatus.ProtocolError, $"the {function} reply carried {descriptors.Count} descriptors instead of 1");
            }

            SafeFd fd = descriptors[0];
            descriptors.Clear();
            return (reply, fd);
        }
        finally
        {
            descriptors.ForEach(d => d.Dispose());
        }
    }

    private SupReply Call(SupFunction function, ReadOnlySpan<byte> input, int outputSize, List<SafeFd>? descriptors, SafeFd[]? send = null)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            int needed = ProtocolConstants.HeaderSize + Math.Max(Math.Max(input.Length, outputSize), ProtocolConstants.MaxMessageSize);
            if (_buffer.Length < needed)
            {
                _buffer = new byte[needed];
            }

            // Sequence 0 is the daemon's for answers to no request (a refusal before any was read).
            uint sequence = ++_sequence == 0 ? ++_sequence : _sequence;
            MessageHeader.ForRequest(_cookie, function, input.Length, outputSize, sequence).Write(_buffer);
            input.CopyTo(_buffer.AsSpan(ProtocolConstants.HeaderSize));
            Send(ProtocolConstants.HeaderSize + input.Length, send);
            return Receive(function, sequence, descriptors);
        }
    }

    /// <summary>
    /// Ends the session. A call blocked in another thread waiting for its reply returns at once
    /// with <see cref="SupStatus.Disconnected"/>: the socket is shut down (shutdown(2)) before it
    /// is closed, because closing a descriptor does not wake a receive blocked on it.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Libc.Shutdown(_fd);
            _fd.Dispose();
        }
    }

    private void Handshake(uint version)
    {
        Span<byte> input = stackalloc byte[CookieRequest.Size];
        new CookieRequest(ProtocolConstants.CookieMagic, version).Write(input);
        CookieReply reply = CookieReply.Read(Call(SupFunction.Cookie, input, CookieReply.Size).Payload);

        // As SUPLib does: the server's major must be ours and its version at least what we asked for.
        if (reply.ServerVersion >> 16 != version >> 16 || reply.ServerVersion < version)
        {
            throw new SupException(SupStatus.VersionMismatch,
                $"version mismatch: server {reply.ServerVersion >> 16}.{reply.ServerVersion & 0xffff}, client needs {version >> 16}.{version & 0xffff}");
        }

        _cookie = reply.Cookie;
        SessionId = reply.SessionId;
        IsRestricted = reply.Restricted;
        ServerVersion = reply.ServerVersion;
    }

    internal SupStatus HandleFlagsCall(SupFunction function, ulong handle, bool flag)
    {
        Span<byte> input = stackalloc byte[HandleFlagsRequest.Size];
        new HandleFlagsRequest(handle, flag ? HandleFlagsRequest.PinFlag : 0).Write(input);
        return Call(function, input, 0).Status;
    }

    /// <summary>Closes an object of this session, ignoring that the session (and with it the object) may be gone already.</summary>
    internal void CloseQuietly(SupFunction function, ulong handle) =>
        IgnoringSessionEnd(() => HandleCall(function, handle), SupStatus.InvalidHandle);

    /// <summary>Runs a closing call, ignoring that the session, and with it what the call would close, is gone already (<paramref name="gone"/>: the daemon's word for that).</summary>
    private static void IgnoringSessionEnd(Action close, SupStatus gone)
    {
        try
        {
            close();
        }
        catch (SupException ex) when (ex.Status == SupStatus.Disconnected || ex.Status == gone)
        {
            // The session ended first, and with it what the call would close.
        }
        catch (ObjectDisposedException)
        {
            // The client was disposed first: its session's end closed it.
        }
    }

    internal SupStatus HandleCall(SupFunction function, ulong handle)
    {
        Span<byte> input = stackalloc byte[HandleRequest.Size];
        new HandleRequest(handle).Write(input);
        return Call(function, input, 0).Status;
    }

    private T Listing<T>(SupFunction function, JsonTypeInfo<T> typeInfo)
    {
        int outputSize = InitialListingSize;
        while (true)
        {
            try
            {
                SupReply reply = Call(function, ReadOnlySpan<byte>.Empty, outputSize);
                return JsonSerializer.Deserialize(reply.Payload, typeInfo)
                    ?? throw new SupException(SupStatus.ProtocolError, $"{function} returned an empty document");
            }
            catch (SupOverflowException ex) when (ex.Needed > outputSize)
            {
                // The size named can be stale by the time the next request arrives: ask again, with
                // what the next answer names, until one fits.
                outputSize = ex.Needed;
            }
        }
    }

    /// <summary>
    /// Every entry of a listing, fetched in pages (<see cref="ListingRequest"/>): the first page
    /// in a small reply, the next ones in replies as large as the daemon takes (at most
    /// <see cref="LargestPage"/>), until a page says it is the last. Entries that come or go
    /// between pages may be missed or seen twice, as with any listing taken in parts.
    /// </summary>
    private List<TEntry> PagedListing<TEntry>(SupFunction function, JsonTypeInfo<List<TEntry>> typeInfo)
    {
        var entries = new List<TEntry>();
        int outputSize = InitialListingSize;
        Span<byte> input = stackalloc byte[ListingRequest.Size];
        uint start = 0;
        while (true)
        {
            new ListingRequest(start).Write(input);
            SupReply reply;
            try
            {
                reply = Call(function, input, outputSize);
            }
            catch (SupOverflowException ex) when (ex.Needed > outputSize)
            {
                // One entry is larger than the page: ask again with the size it needs.
                outputSize = ex.Needed;
                continue;
            }

            if (reply.Payload.Length < ListingPage.Size)
            {
                throw new SupException(SupStatus.ProtocolError, $"{function} returned a page of {reply.Payload.Length} bytes, shorter than its {ListingPage.Size}-byte head");
            }

            ListingPage page = ListingPage.Read(reply.Payload);
            List<TEntry> part = JsonSerializer.Deserialize(reply.Payload.AsSpan(ListingPage.Size), typeInfo)
                ?? throw new SupException(SupStatus.ProtocolError, $"{function} returned an empty page");
            entries.AddRange(part);
            if (page.Next == 0)
            {
                return entries;
            }

            if (page.Next <= start)
            {
                throw new SupException(SupStatus.ProtocolError, $"{function} page at {start} names {page.Next} as the next; it must move forward");
            }

            start = page.Next;
            outputSize = Math.Max(outputSize, (int)Math.Min(page.MaxOutput, LargestPage));
        }
    }

    private unsafe void Send(int length, SafeFd[]? fds = null)
    {
        if (length > _largestSend)
        {
            throw new SupException(SupStatus.RequestNotSent, $"the request of {length} bytes exceeds the {_largestSend} bytes this process's socket can send (net.core.wmem_max without CAP_NET_ADMIN)");
        }

        Errno error;
        fixed (byte* p = _buffer)
        {
            error = Libc.SendMessage(_fd, p, length, fds);
        }

        if (error == Errno.EMSGSIZE || error == Errno.ENOBUFS || error == Errno.ENOMEM)
        {
            throw new SupException(SupStatus.RequestNotSent, $"the request of {length} bytes could not be sent: {error}");
        }

        if (error != Errno.None)
        {
            // A daemon that refused the connection at once may have answered before it closed.
            if (ReceiveRefusal() is SupException refusal)
            {
                throw refusal;
            }

            throw new SupException(SupStatus.Disconnected, $"sending to {SocketPath} failed: {error}; the daemon closed the session");
        }
    }

    /// <summary>A refusal (a reply with sequence 0) waiting in the socket, without blocking; null when there is none.</summary>
    private unsafe SupException? ReceiveRefusal()
    {
        ReceiveResult received;
        fixed (byte* p = _buffer)
        {
            received = Libc.ReceiveMessage(_fd, p, _buffer.Length, null, ReceiveOptions.DontWait);
        }

        if (received.Error != Errno.None || received.Truncated || received.Length < ProtocolConstants.HeaderSize)
        {
            return null;
        }

        var header = MessageHeader.Read(_buffer);
        return header.Magic == ProtocolConstants.HeaderMagic && header.Sequence == 0 && header.Status.IsError() && header.InputSize == received.Length - ProtocolConstants.HeaderSize
            ? ErrorOf(header)
            : null;
    }

    private SupException ErrorOf(MessageHeader header)
    {
        ReadOnlySpan<byte> payload = _buffer.AsSpan(ProtocolConstants.HeaderSize, (int)header.InputSize);
        string message = (header.Flags & HeaderFlags.Message) != HeaderFlags.None ? Encoding.UTF8.GetString(payload) : header.Status.ToString();
        bool fromModule = (header.Flags & HeaderFlags.ModuleStatus) != HeaderFlags.None;
        return header.Status == SupStatus.BufferOverflow && !fromModule
            ? new SupOverflowException(message, (int)header.OutputSize)
            : new SupException(header.Status, message) { IsModuleStatus = fromModule };
    }

    private unsafe SupReply Receive(SupFunction function, uint sequence, List<SafeFd>? descriptors)
    {
        while (true)
        {
            ReceiveResult received;
            fixed (byte* p = _buffer)
            {
                // Descriptors land in the caller's list when it expects some; otherwise the native
                // layer closes them as they arrive. No list is allocated on the common path.
                received = Libc.ReceiveMessage(_fd, p, _buffer.Length, descriptors);
            }

            if (received.Error == Errno.EAGAIN)
            {
                throw new SupException(SupStatus.Timeout, $"{function}: no reply from {SocketPath} within the timeout");
            }

            if (received.Error != Errno.None || received.Length == 0)
            {
                throw new SupException(SupStatus.Disconnected, $"{function}: the daemon closed the session ({(received.Error == Errno.None ? "end of stream" : received.Error.ToString())})");
            }

            if (received.Truncated || received.Length < ProtocolConstants.HeaderSize)
            {
                throw new SupException(SupStatus.ProtocolError, $"{function}: reply of {received.Length} bytes does not fit the {_buffer.Length}-byte buffer or the header");
            }

            var header = MessageHeader.Read(_buffer);
            if (header.Magic != ProtocolConstants.HeaderMagic || (header.Flags & HeaderFlags.Reply) == HeaderFlags.None || header.InputSize != received.Length - ProtocolConstants.HeaderSize)
            {
                throw new SupException(SupStatus.ProtocolError, $"{function}: malformed reply header");
            }

            if (header.Sequence == 0 && header.Status.IsError())
            {
                // The daemon's answer to no request in particular: it refused the connection.
                throw ErrorOf(header);
            }

            if (header.Sequence != sequence)
            {
                descriptors?.ForEach(d => d.Dispose());
                descriptors?.Clear();

                // A late reply to a request that timed out: skip it (docs/protocol.md, "After a timeout").
                continue;
            }

            if (header.Status.IsError())
            {
                throw ErrorOf(header);
            }

            return new SupReply(header.Status, _buffer.AsSpan(ProtocolConstants.HeaderSize, (int)header.InputSize).ToArray()) { IsModuleStatus = (header.Flags & HeaderFlags.ModuleStatus) != HeaderFlags.None };
        }
    }
}
