using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using SupHost.Protocol;

namespace SupHost.Driver.Internal;

/// <summary>
/// Validates one request datagram and runs it. The header, the cookie and the function's exact
/// sizes are all checked before any handler runs (the order of supdrvIOCtl); no exception leaves
/// here: a throwing handler becomes <see cref="SupStatus.GeneralFailure"/> with its message.
/// </summary>
internal sealed class Dispatcher
{
    private readonly SupDriver _driver;
    private readonly ILogger _logger;
    private readonly int _maxRequestSize;

    public Dispatcher(SupDriver driver, ILogger logger, int maxRequestSize)
    {
        _driver = driver;
        _logger = logger;
        _maxRequestSize = maxRequestSize;
    }

    /// <summary>The largest reply payload any request may ask for.</summary>
    public int MaxOutputSize => _maxRequestSize - ProtocolConstants.HeaderSize;

    /// <summary>
    /// Handles the datagram in <paramref name="request"/>, whose real length was <paramref name="length"/>
    /// (more than the span when the kernel truncated it). Writes the reply into <paramref name="reply"/>
    /// (at least <see cref="ProtocolConstants.HeaderSize"/> + <see cref="MaxOutputSize"/> bytes) and returns its length.
    /// <paramref name="fds"/> are the descriptors the request carried: a module call takes them
    /// (the list is emptied); whatever is left in it the caller closes. <paramref name="controlTruncated"/>
    /// says the kernel had more for the request than fit (MSG_CTRUNC). The reply carries
    /// <paramref name="descriptor"/> (owned elsewhere) or the descriptors of <paramref name="transfer"/>,
    /// which the caller closes once the reply is sent or failed.
    /// </summary>
    public int Process(Session session, ReadOnlySpan<byte> request, int length, List<SupHost.Native.SafeFd>? fds, bool controlTruncated, Span<byte> reply, out SupHost.Native.SafeFd? descriptor, out SupHost.Abi.ModuleCallDescriptors? transfer)
    {
        descriptor = null;
        transfer = null;
        session.CountRequest();
        MessageHeader header = EchoHeader(request);
        CallResult result = Validate(session, header, length, fds?.Count ?? 0, controlTruncated, out FunctionSpec? spec);
        SupHost.Abi.ModuleCallDescriptors? descriptors = null;
        if (spec is not null && TakesDescriptors(header.Function))
        {
            descriptors = _driver.CallDescriptors.Adopt(session, fds ?? [], out string? refusal);
            if (descriptors is null)
            {
                result = CallResult.Fail(SupStatus.LimitReached, refusal!);
                spec = null;
            }
        }

        if (spec is not null)
        {
            try
            {
                result = Run(session, header, request.Slice(ProtocolConstants.HeaderSize, (int)header.InputSize), reply.Slice(ProtocolConstants.HeaderSize, (int)header.OutputSize), descriptors);
            }
            catch (Exception ex)
            {
                DriverLog.RequestThrew(_logger, ex, session.Id, session.ProcessId, header.Function);
                result = CallResult.Fail(SupStatus.GeneralFailure, $"{header.Function} failed in the daemon: {ex.Message}");
            }
        }

        if (descriptors is not null && result.Transfer is null)
        {
            // Failed before or in the call: nothing of the call's descriptors leaves the daemon.
            _driver.CallDescriptors.CloseUnclaimed(descriptors);
            descriptors.CloseAll();
        }

        if (result.Status.IsError())
        {
            DriverLog.RequestFailed(_logger, session.Id, session.ProcessId, header.Function, result.Status, result.Message);

            return WriteError(reply, header, result);
        }

        new MessageHeader(ProtocolConstants.HeaderMagic, result.SuccessFlags, 0, header.Function, (uint)result.OutputLength, 0, result.Status, header.Sequence, 0)
            .Write(reply);
        descriptor = result.Descriptor;
        transfer = result.Transfer;
        return ProtocolConstants.HeaderSize + result.OutputLength;
    }

    /// <summary>
    /// The request's header, or for a datagram shorter than the header what of it arrived: the
    /// function when its 4 bytes did (offset 16), the sequence when its 4 bytes did (offset 32), so
    /// that even an error reply to a short datagram names what it answers.
    /// </summary>
    public static MessageHeader EchoHeader(ReadOnlySpan<byte> request)
    {
        if (request.Length >= ProtocolConstants.HeaderSize)
        {
            return MessageHeader.Read(request);
        }

        var function = request.Length >= 20 ? (SupFunction)System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(request[16..]) : SupFunction.Invalid;
        uint sequence = request.Length >= 36 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(request[32..]) : 0;
        return default(MessageHeader) with { Function = function, Sequence = sequence };
    }

    /// <summary>The functions whose requests may carry descriptors for a module and whose replies may carry the module's (protocol 1.1).</summary>
    private static bool TakesDescriptors(SupFunction function) => function is SupFunction.ModuleCall or SupFunction.ModuleCallService;

    /// <summary>
    /// Only a module call takes descriptors, at most <see cref="ProtocolConstants.MaxDescriptorsPerCall"/>:
    /// the kernel closes what does not fit the control buffer and says so with MSG_CTRUNC
    /// (net/core/scm.c: scm_detach_fds), so a truncated control message means more than the limit.
    /// </summary>
    private static CallResult? CheckDescriptors(SupFunction function, int count, bool truncated)
    {
        if (truncated && TakesDescriptors(function))
        {
            return CallResult.Fail(SupStatus.TooManyDescriptors, $"the request carried more than {ProtocolConstants.MaxDescriptorsPerCall} descriptors, the limit; all were closed");
        }

        return (count > 0 || truncated) && !TakesDescriptors(function)
            ? CallResult.Fail(SupStatus.InvalidParameter, $"{function} takes no file descriptors; they were closed")
            : null;
    }

    private CallResult Validate(Session session, MessageHeader header, int length, int descriptorCount, bool controlTruncated, out FunctionSpec? spec)
    {
        spec = null;

        // The datagram as a whole.
        if (length > _maxRequestSize)
        {
            return CallResult.Fail(SupStatus.RequestTooLarge, $"datagram of {length} bytes exceeds the limit {_maxRequestSize}");
        }

        if (length < ProtocolConstants.HeaderSize)
        {
            return CallResult.Fail(SupStatus.InvalidSize, $"datagram of {length} bytes is shorter than the {ProtocolConstants.HeaderSize}-byte header");
        }

        // The header's own fields.
        if (header.Magic != ProtocolConstants.HeaderMagic)
        {
            return CallResult.Fail(SupStatus.InvalidMagic, $"header magic 0x{header.Magic:x8} is not 0x{ProtocolConstants.HeaderMagic:x8}");
        }

        if ((header.Flags & ~HeaderFlags.RequestMask) != HeaderFlags.None)
        {
            return CallResult.Fail(SupStatus.InvalidFlags, $"request flags 0x{(uint)header.Flags:x8} carry bits this version does not define");
        }

        if (header.Reserved != 0 || header.Status != SupStatus.Success)
        {
            return CallResult.Fail(SupStatus.InvalidParameter, $"reserved header fields must be zero (reserved 0x{header.Reserved:x8}, status {(int)header.Status})");
        }

        if (header.InputSize != (uint)(length - ProtocolConstants.HeaderSize))
        {
            return CallResult.Fail(SupStatus.InvalidSize, $"header says {header.InputSize} input bytes; the datagram carries {length - ProtocolConstants.HeaderSize}");
        }

        if (header.OutputSize > (uint)MaxOutputSize)
        {
            return CallResult.Fail(SupStatus.InvalidSize, $"output size {header.OutputSize} exceeds the limit {MaxOutputSize}");
        }

        if (CheckDescriptors(header.Function, descriptorCount, controlTruncated) is CallResult refused)
        {
            return refused;
        }

        // The session: the handshake first, then its cookie on every request.
        if (!session.Handshaken)
        {
            if (header.Function != SupFunction.Cookie)
            {
                return CallResult.Fail(SupStatus.HandshakeRequired, $"the first request must be {SupFunction.Cookie}, not {Describe(header.Function)}");
            }

            if (header.Cookie != 0)
            {
                return CallResult.Fail(SupStatus.InvalidCookie, "the cookie request must carry session cookie 0");
            }
        }
        else if (header.Function == SupFunction.Cookie)
        {
            return CallResult.Fail(SupStatus.AlreadyHandshaken, "this connection has done its handshake already");
        }
        else if (header.Cookie != session.Cookie)
        {
            return CallResult.Fail(SupStatus.InvalidCookie, "the session cookie does not match this session's");
        }

        // The function and its exact sizes.
        FunctionSpec? found = FunctionSpec.Get(header.Function);
        if (found is null)
        {
            return CallResult.Fail(SupStatus.UnknownFunction, $"function {(uint)header.Function} is unknown");
        }

        if (session.IsRestricted && !found.Restricted)
        {
            return CallResult.Fail(SupStatus.RestrictedSession, $"{found.Function} is not available on a restricted session ({ProtocolConstants.RestrictedSocketName})");
        }

        if (header.InputSize < found.MinInput || header.InputSize > found.MaxInput)
        {
            return CallResult.Fail(SupStatus.InvalidSize, found.MinInput == found.MaxInput
                ? $"{found.Function} takes {found.MinInput} input bytes, not {header.InputSize}"
                : $"{found.Function} takes {found.MinInput} to {found.MaxInput} input bytes, not {header.InputSize}");
        }

        if (found.VariableOutput ? header.OutputSize < found.Output : header.OutputSize != found.Output)
        {
            return CallResult.Fail(SupStatus.InvalidSize, found.VariableOutput
                ? $"{found.Function} needs an output size of at least {found.Output}, not {header.OutputSize}"
                : $"{found.Function} returns {found.Output} output bytes; the request allows {header.OutputSize}");
        }

        spec = found;
        return default;
    }

    private CallResult Run(Session session, MessageHeader header, ReadOnlySpan<byte> input, Span<byte> output, SupHost.Abi.ModuleCallDescriptors? descriptors) => header.Function switch
    {
        SupFunction.Cookie => Cookie(session, input, output),
        SupFunction.Nop => CallResult.Ok(),
        SupFunction.QueryStatus => Json(output, _driver.GetStatus(), ListingJsonContext.Default.StatusInfo),
        SupFunction.ListSessions => Listing(input, output, _driver.GetSessions(), ListingJsonContext.Default.ListSessionInfo, ListingJsonContext.Default.SessionInfo),
        SupFunction.ListObjects => Listing(input, output, _driver.Objects.Snapshot(), ListingJsonContext.Default.ListObjectInfo, ListingJsonContext.Default.ObjectInfo),
        SupFunction.ListFactories => Listing(input, output, _driver.Components.Snapshot(), ListingJsonContext.Default.ListFactoryInfo, ListingJsonContext.Default.FactoryInfo),
        SupFunction.ObjectRegister => ObjectRegister(session, input, output),
        SupFunction.ObjectOpen => ObjectOpen(session, input, output),
        SupFunction.ObjectAddRef => Status(_driver.Objects.AddRef(session, HandleRequest.Read(input).Handle), input),
        SupFunction.ObjectRelease => Status(_driver.Objects.Release(session, HandleRequest.Read(input).Handle), input),
        SupFunction.FactoryRegister => FactoryRegister(session, input, output),
        SupFunction.FactoryDeregister => Status(_driver.Components.Deregister(HandleRequest.Read(input).Handle, session.FactoryOwner), input),
        SupFunction.FactoryQuery => FactoryQuery(input, output),
        SupFunction.ModuleOpen => ModuleOpen(session, input, output),
        SupFunction.ModuleLoad => ModuleLoadOrFree(session, input, load: true),
        SupFunction.ModuleFree => ModuleLoadOrFree(session, input, load: false),
        SupFunction.ModuleGetSymbol => ModuleGetSymbol(session, input, output),
        SupFunction.ModuleCall => ModuleCall(session, input, output, descriptors),
        SupFunction.ModuleCallService => ModuleCallService(session, input, output, descriptors),
        SupFunction.ModuleLockDown => Outcome(_driver.Modules.LockDown(session, out string? lockMessage), lockMessage),
        SupFunction.ListModules => Listing(input, output, _driver.Modules.Snapshot(), ListingJsonContext.Default.ListModuleInfo, ListingJsonContext.Default.ModuleInfo),
        SupFunction.PageAlloc => PageAlloc(session, input, output),
        SupFunction.PageFree => Outcome(_driver.Memory.Free(session, HandleRequest.Read(input).Handle, out string? freeMessage), freeMessage),
        SupFunction.PageLock => PageLock(session, input),
        SupFunction.PageProtect => PageProtect(session, input),
        SupFunction.ListMemory => Listing(input, output, _driver.Memory.Snapshot(), ListingJsonContext.Default.ListMemoryInfo, ListingJsonContext.Default.MemoryInfo),
        SupFunction.EventCreate => EventCreate(session, input, output),
        SupFunction.GipMap => GipMap(session, output),
        SupFunction.GipUnmap => _driver.Gip.Unmap(session) ? CallResult.Ok(0) : CallResult.Fail(SupStatus.NotFound, "this session does not map the GIP"),
        SupFunction.EventSignal => Outcome(_driver.Events.Signal(session, HandleRequest.Read(input).Handle, out string? signalMessage), signalMessage),
        SupFunction.EventReset => Outcome(_driver.Events.Reset(session, HandleRequest.Read(input).Handle, out string? resetMessage), resetMessage),
        SupFunction.EventClose => Outcome(_driver.Events.Close(session, HandleRequest.Read(input).Handle, out string? closeMessage), closeMessage),
        _ => CallResult.Fail(SupStatus.UnknownFunction, $"function {(uint)header.Function} has no handler"),
    };

    private static CallResult Cookie(Session session, ReadOnlySpan<byte> input, Span<byte> output)
    {
        CookieRequest request = CookieRequest.Read(input);
        uint reserved = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(input[20..]);
        if (reserved != 0)
        {
            return CallResult.Fail(SupStatus.InvalidParameter, $"the cookie request's reserved field (offset 20) is 0x{reserved:x8}; it must be 0");
        }

        if (!string.Equals(request.Magic, ProtocolConstants.CookieMagic, StringComparison.Ordinal))
        {
            return CallResult.Fail(SupStatus.InvalidMagic, $"cookie magic '{request.Magic}' is not '{ProtocolConstants.CookieMagic}'");
        }

        uint major = request.Version >> 16;
        uint minor = request.Version & 0xffff;
        if (major != ProtocolConstants.VersionMajor || minor > ProtocolConstants.VersionMinor)
        {
            return CallResult.Fail(SupStatus.VersionMismatch,
                $"version mismatch: server {ProtocolConstants.VersionMajor}.{ProtocolConstants.VersionMinor}, client needs {major}.{minor}");
        }

        new CookieReply(session.Cookie, ProtocolConstants.Version, session.Id, session.IsRestricted).Write(output);
        session.Handshaken = true;
        return CallResult.Ok(CookieReply.Size);
    }

    private CallResult ObjectRegister(Session session, ReadOnlySpan<byte> input, Span<byte> output)
    {
        (ObjectTypeId typeId, uint mode, uint flags, uint reserved) = ObjectRegisterRequest.ReadFixed(input);
        if (reserved != 0 || (flags & ~(uint)ObjectFlags.All) != 0 || mode > 0x1ff)
        {
            return CallResult.Fail(SupStatus.InvalidParameter, $"mode 0{Convert.ToString(mode, 8)} must be at most 0777, flags 0x{flags:x} may only use 0x{(uint)ObjectFlags.All:x}, reserved must be 0");
        }

        ObjectType? type = _driver.Objects.FindType((uint)typeId);
        if (type is null || !type.ClientCreatable)
        {
            return CallResult.Fail(SupStatus.InvalidObjectType, type is null
                ? $"object type {(uint)typeId} is unknown"
                : $"objects of type {type.Name} cannot be registered by clients");
        }

        ReadOnlySpan<byte> nameField = ObjectRegisterRequest.NameOf(input);
        string? name = null;
        if (nameField.ContainsAnyExcept((byte)0))
        {
            name = NameField.TryRead(nameField, out string? error);
            if (name is null)
            {
                return CallResult.Fail(SupStatus.InvalidName, error!);
            }
        }

        SupStatus status = _driver.Objects.Register(session, type, name, mode, (flags & (uint)ObjectFlags.Public) != 0, destructor: null, payload: null, out SupObject? obj);
        return status switch
        {
            SupStatus.Success => Handle(output, obj!.Handle),
            SupStatus.AlreadyExists => CallResult.Fail(status, $"a {type.Name} object named '{name}' exists already"),
            SupStatus.LimitReached => CallResult.Fail(status, $"the session holds {_driver.Options.MaxObjectsPerSession} objects, the limit"),
            _ => CallResult.Fail(status, $"registering a {type.Name} object failed"),
        };
    }

    private CallResult ObjectOpen(Session session, ReadOnlySpan<byte> input, Span<byte> output)
    {
        (ObjectTypeId typeId, uint reserved) = ObjectOpenRequest.ReadFixed(input);
        if (reserved != 0)
        {
            return CallResult.Fail(SupStatus.InvalidParameter, "the reserved field must be 0");
        }

        string? name = NameField.TryRead(ObjectOpenRequest.NameOf(input), out string? error);
        if (name is null)
        {
            return CallResult.Fail(SupStatus.InvalidName, error!);
        }

        SupStatus status = _driver.Objects.Open(session, (uint)typeId, name, out SupObject? obj);
        string typeName = _driver.Objects.FindType((uint)typeId)?.Name ?? $"type-{(uint)typeId}";
        return status switch
        {
            SupStatus.Success => Handle(output, obj!.Handle),
            SupStatus.NotFound => CallResult.Fail(status, $"no {typeName} object named '{name}'"),
            SupStatus.PermissionDenied => CallResult.Fail(status, $"uid {session.UserId} may not open {typeName} object '{name}'"),
            SupStatus.LimitReached => CallResult.Fail(status, $"the session holds {_driver.Options.MaxObjectsPerSession} objects, the limit"),
            _ => CallResult.Fail(status, $"opening {typeName} object '{name}' failed"),
        };
    }

    private CallResult FactoryRegister(Session session, ReadOnlySpan<byte> input, Span<byte> output)
    {
        uint count = FactoryRegisterRequest.CountOf(input);
        if (count is 0 or > ProtocolConstants.MaxFactoryInterfaces)
        {
            return CallResult.Fail(SupStatus.InvalidParameter, $"interface count {count} is outside 1..{ProtocolConstants.MaxFactoryInterfaces}");
        }

        int expected = FactoryRegisterRequest.FixedSize + ((int)count * ProtocolConstants.GuidSize);
        if (input.Length != expected)
        {
            return CallResult.Fail(SupStatus.InvalidSize, $"{count} interfaces take {expected} input bytes, not {input.Length}");
        }

        if (FactoryRegisterRequest.ReservedOf(input) != 0)
        {
            return CallResult.Fail(SupStatus.InvalidParameter, "the reserved field must be 0");
        }

        string? name = NameField.TryRead(input[..ProtocolConstants.NameFieldSize], out string? error);
        if (name is null)
        {
            return CallResult.Fail(SupStatus.InvalidName, error!);
        }

        var interfaces = new List<Guid>((int)count);
        for (int i = 0; i < count; i++)
        {
            Guid id = FactoryRegisterRequest.InterfaceOf(input, i);
            if (interfaces.Contains(id))
            {
                return CallResult.Fail(SupStatus.InvalidParameter, $"interface {id} is listed twice");
            }

            interfaces.Add(id);
        }

        if (_driver.Components.CountOwnedBy(session.FactoryOwner) >= _driver.Options.MaxFactoriesPerSession)
        {
            return CallResult.Fail(SupStatus.LimitReached, $"the session has registered {_driver.Options.MaxFactoriesPerSession} factories, the limit");
        }

        SupStatus status = _driver.Components.Register(new ClientFactory(name, interfaces), session.FactoryOwner, out FactoryRegistration? registration);
        return status == SupStatus.Success
            ? Handle(output, registration!.Id)
            : CallResult.Fail(status, $"registering factory '{name}' failed");
    }

    private CallResult FactoryQuery(ReadOnlySpan<byte> input, Span<byte> output)
    {
        string? name = NameField.TryRead(input[..ProtocolConstants.NameFieldSize], out string? error);
        if (name is null)
        {
            return CallResult.Fail(SupStatus.InvalidName, error!);
        }

        Guid interfaceId = FactoryQueryRequest.InterfaceOf(input);
        SupStatus status = _driver.Components.Query(name, interfaceId, out FactoryRegistration? registration, out _);
        return status switch
        {
            SupStatus.Success => Reply(output, new FactoryQueryReply(registration!.Id, registration.Owner.SessionId)),
            SupStatus.ComponentNotFound => CallResult.Fail(status, $"no factory named '{name}'"),
            SupStatus.InterfaceNotSupported => CallResult.Fail(status, $"no factory named '{name}' supports interface {interfaceId}"),
            _ => CallResult.Fail(status, $"querying factory '{name}' failed"),
        };
    }

    private CallResult ModuleOpen(Session session, ReadOnlySpan<byte> input, Span<byte> output)
    {
        string? name = NameField.TryRead(input, out string? error);
        if (name is null)
        {
            return CallResult.Fail(SupStatus.InvalidName, error!);
        }

        SupStatus status = _driver.Modules.Open(session, name, out ModuleOpenReply reply, out string? message);
        if (status != SupStatus.Success)
        {
            return CallResult.Fail(status, message ?? status.ToString());
        }

        reply.Write(output);
        return CallResult.Ok(ModuleOpenReply.Size);
    }

    private CallResult ModuleLoadOrFree(Session session, ReadOnlySpan<byte> input, bool load)
    {
        HandleFlagsRequest request = HandleFlagsRequest.Read(input, out uint reserved);
        if (reserved != 0 || (request.Flags & ~HandleFlagsRequest.PinFlag) != 0)
        {
            return CallResult.Fail(SupStatus.InvalidParameter, $"flags 0x{request.Flags:x} may only use 0x{HandleFlagsRequest.PinFlag:x}; reserved must be 0");
        }

        bool pin = (request.Flags & HandleFlagsRequest.PinFlag) != 0;
        string? message;
        SupStatus status = load
            ? _driver.Modules.Load(session, request.Handle, pin, out message)
            : _driver.Modules.Free(session, request.Handle, pin, out message);
        return Outcome(status, message);
    }

    private CallResult ModuleGetSymbol(Session session, ReadOnlySpan<byte> input, Span<byte> output)
    {
        string? symbol = NameField.TryRead(ModuleSymbolRequest.NameOf(input), out string? error);
        if (symbol is null)
        {
            return CallResult.Fail(SupStatus.InvalidName, error!);
        }

        SupStatus status = _driver.Modules.GetSymbol(session, ModuleSymbolRequest.HandleOf(input), symbol, out ulong handle, out string? message);
        return status == SupStatus.Success ? Handle(output, handle) : CallResult.Fail(status, message ?? status.ToString());
    }

    private CallResult ModuleCall(Session session, ReadOnlySpan<byte> input, Span<byte> output, SupHost.Abi.ModuleCallDescriptors? descriptors)
    {
        ModuleCallRequest request = ModuleCallRequest.Read(input, out uint reserved);
        return reserved != 0
            ? CallResult.Fail(SupStatus.InvalidParameter, "the reserved field must be 0")
            : _driver.Modules.Call(session, request.Symbol, request.Operation, request.Argument, input[ModuleCallRequest.FixedSize..], output, descriptors);
    }

    private CallResult ModuleCallService(Session session, ReadOnlySpan<byte> input, Span<byte> output, SupHost.Abi.ModuleCallDescriptors? descriptors)
    {
        string? name = NameField.TryRead(input[..ProtocolConstants.NameFieldSize], out string? error);
        if (name is null)
        {
            return CallResult.Fail(SupStatus.InvalidName, error!);
        }

        (uint operation, uint reserved, ulong argument) = ServiceCallRequest.ReadFixed(input);
        return reserved != 0
            ? CallResult.Fail(SupStatus.InvalidParameter, "the reserved field must be 0")
            : _driver.Modules.CallService(session, name, operation, argument, input[ServiceCallRequest.FixedSize..], output, descriptors);
    }

    private CallResult PageAlloc(Session session, ReadOnlySpan<byte> input, Span<byte> output)
    {
        PageAllocRequest request = PageAllocRequest.Read(input);
        if ((request.Flags & ~PageAllocRequest.LockFlag) != 0)
        {
            return CallResult.Fail(SupStatus.InvalidParameter, $"flags 0x{request.Flags:x} may only use 0x{PageAllocRequest.LockFlag:x}");
        }

        SupStatus status = _driver.Memory.Allocate(session, request.Pages, (request.Flags & PageAllocRequest.LockFlag) != 0, out SupObject? obj, out string? message);
        if (status != SupStatus.Success)
        {
            return CallResult.Fail(status, message ?? status.ToString());
        }

        var block = (Memory.MemoryBlock)obj!.Payload!;
        new PageAllocReply(obj.Handle, (ulong)block.Mapping.Length).Write(output);
        return new CallResult(SupStatus.Success, PageAllocReply.Size, null, Descriptor: block.Fd);
    }

    private CallResult EventCreate(Session session, ReadOnlySpan<byte> input, Span<byte> output)
    {
        EventCreateRequest request = EventCreateRequest.Read(input);
        if (request.Reserved != 0)
        {
            return CallResult.Fail(SupStatus.InvalidParameter, "the reserved field must be 0");
        }

        SupStatus status = _driver.Events.Create(session, request.Kind, out SupObject? obj, out string? message);
        if (status != SupStatus.Success)
        {
            return CallResult.Fail(status, message ?? status.ToString());
        }

        new HandleReply(obj!.Handle).Write(output);
        return new CallResult(SupStatus.Success, HandleReply.Size, null, Descriptor: EventManager.Payload(obj)!.Fd);
    }

    private CallResult GipMap(Session session, Span<byte> output)
    {
        SupHost.Native.SafeFd fd = _driver.Gip.Map(session);
        new GipMapReply((ulong)_driver.Gip.Length, _driver.Gip.Mode).Write(output);
        return new CallResult(SupStatus.Success, GipMapReply.Size, null, Descriptor: fd);
    }

    private CallResult PageLock(Session session, ReadOnlySpan<byte> input)
    {
        HandleFlagsRequest request = HandleFlagsRequest.Read(input, out uint reserved);
        if (reserved != 0 || (request.Flags & ~HandleFlagsRequest.PinFlag) != 0)
        {
            return CallResult.Fail(SupStatus.InvalidParameter, $"flags 0x{request.Flags:x} may only use 0x{HandleFlagsRequest.PinFlag:x} (unlock); reserved must be 0");
        }

        return Outcome(_driver.Memory.Lock(session, request.Handle, (request.Flags & HandleFlagsRequest.PinFlag) != 0, out string? message), message);
    }

    private CallResult PageProtect(Session session, ReadOnlySpan<byte> input)
    {
        PageProtectRequest request = PageProtectRequest.Read(input, out uint reserved);
        return reserved != 0
            ? CallResult.Fail(SupStatus.InvalidParameter, "the reserved field must be 0")
            : Outcome(_driver.Memory.Protect(session, request, out string? message), message);
    }

    private static CallResult Outcome(SupStatus status, string? message) =>
        status.IsError() ? CallResult.Fail(status, message ?? status.ToString()) : new CallResult(status, 0, null);

    private static CallResult Reply(Span<byte> output, FactoryQueryReply reply)
    {
        reply.Write(output);
        return CallResult.Ok(FactoryQueryReply.Size);
    }

    private static CallResult Handle(Span<byte> output, ulong handle)
    {
        new HandleReply(handle).Write(output);
        return CallResult.Ok(HandleReply.Size);
    }

    private static CallResult Status(SupStatus status, ReadOnlySpan<byte> input) => status.IsError()
        ? CallResult.Fail(status, status == SupStatus.InvalidHandle
            ? $"handle 0x{HandleRequest.Read(input).Handle:x16} is not one this session holds"
            : status.ToString())
        : new CallResult(status, 0, null);

    private CallResult Json<T>(Span<byte> output, T value, JsonTypeInfo<T> typeInfo)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);
        if (json.Length > output.Length)
        {
            return new CallResult(SupStatus.BufferOverflow, 0, json.Length > MaxOutputSize
                ? $"the reply needs {json.Length} bytes, more than the largest reply {MaxOutputSize}: ask for it in pages (an 8-byte start index as input)"
                : $"the reply needs {json.Length} bytes; the request allows {output.Length}", json.Length);
        }

        json.CopyTo(output);
        return CallResult.Ok(json.Length);
    }

    /// <summary>
    /// A listing: with no input the whole of it as one JSON array (or BufferOverflow with the size
    /// needed); with a <see cref="ListingRequest"/> one page from its start index: a
    /// <see cref="ListingPage"/> and as many entries, as a JSON array, as fit the output size.
    /// </summary>
    private CallResult Listing<T>(ReadOnlySpan<byte> input, Span<byte> output, List<T> entries, JsonTypeInfo<List<T>> listInfo, JsonTypeInfo<T> entryInfo)
    {
        if (input.Length == 0)
        {
            return Json(output, entries, listInfo);
        }

        // The spec allows 0 to 8 bytes; only the two forms mean something.
        if (input.Length != ListingRequest.Size)
        {
            return CallResult.Fail(SupStatus.InvalidSize, $"a listing takes 0 or {ListingRequest.Size} input bytes, not {input.Length}");
        }

        ListingRequest request = ListingRequest.Read(input, out uint reserved);
        if (reserved != 0)
        {
            return CallResult.Fail(SupStatus.InvalidParameter, $"the listing request's reserved field is 0x{reserved:x8}; it must be 0");
        }

        if (request.Start > (uint)entries.Count)
        {
            return CallResult.Fail(SupStatus.InvalidParameter, $"start index {request.Start} is past the listing's {entries.Count} entries");
        }

        // Entries one by one, while the next one and the closing bracket still fit.
        int position = ListingPage.Size;
        output[position++] = (byte)'[';
        int index = (int)request.Start;
        for (; index < entries.Count; index++)
        {
            byte[] entry = JsonSerializer.SerializeToUtf8Bytes(entries[index], entryInfo);
            int separator = index > (int)request.Start ? 1 : 0;
            if (position + separator + entry.Length + 1 > output.Length)
            {
                if (separator == 0)
                {
                    int needed = ListingPage.Size + entry.Length + 2;
                    return new CallResult(SupStatus.BufferOverflow, 0, $"entry {index} needs a page of {needed} bytes; the request allows {output.Length}", needed);
                }

                break;
            }

            if (separator != 0)
            {
                output[position++] = (byte)',';
            }

            entry.CopyTo(output[position..]);
            position += entry.Length;
        }

        output[position++] = (byte)']';
        uint next = index < entries.Count ? (uint)index : 0;
        new ListingPage(next, (uint)entries.Count, (uint)(index - (int)request.Start), (uint)MaxOutputSize).Write(output);
        return CallResult.Ok(position);
    }

    private static int WriteError(Span<byte> reply, MessageHeader request, CallResult result)
    {
        string message = result.Message ?? result.Status.ToString();
        Span<byte> payload = reply.Slice(ProtocolConstants.HeaderSize, ProtocolConstants.MaxMessageSize);
        int length;
        if (Encoding.UTF8.GetByteCount(message) <= payload.Length)
        {
            length = Encoding.UTF8.GetBytes(message, payload);
        }
        else
        {
            // Cut at a character boundary so the client always gets valid UTF-8.
            Encoding.UTF8.GetEncoder().Convert(message, payload, flush: true, out _, out length, out _);
        }

        new MessageHeader(ProtocolConstants.HeaderMagic, result.ErrorFlags, 0, request.Function, (uint)length, (uint)result.Needed, result.Status, request.Sequence, 0)
            .Write(reply);
        return ProtocolConstants.HeaderSize + length;
    }

    /// <summary>The error reply to <paramref name="request"/> that refuses a connection.</summary>
    public static int WriteRefusal(Span<byte> reply, MessageHeader request, SupStatus status, string message) =>
        WriteError(reply, request, CallResult.Fail(status, message));

    private static string Describe(SupFunction function) =>
        FunctionSpec.Get(function) is null ? $"function {(uint)function}" : function.ToString();
}
