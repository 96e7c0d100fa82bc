using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using SupHost.Abi;
using SupHost.Driver.Internal.Events;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Driver.Internal.Modules.Io;

/// <summary>
/// One module's I/O (<see cref="IModuleIo"/>): every handle and readiness set it opened, counted
/// against its descriptor budget, and closed by <see cref="Dispose"/> when the module unloads
/// (after its workers were stopped and its Terminate ran), which also removes its TAP devices.
/// </summary>
internal sealed class ModuleIo : IModuleIo, IModuleTcpIo, IModuleTapIo, IDisposable
{
    private const int MaxBacklog = 4096;
    private const int MinMtu = 68;
    private const int MaxMtu = 65535;
    private const TapOffloads KnownOffloads = TapOffloads.Checksum | TapOffloads.TcpSegmentation4 | TapOffloads.TcpSegmentation6 | TapOffloads.TcpSegmentationEcn;

    [ThreadStatic]
    private static string? t_lastError;

    private readonly ILogger _logger;
    private readonly Quota _descriptors;
    private readonly Lock _lock = new();
    private readonly HashSet<ModuleIoHandle> _handles = [];
    private readonly HashSet<ModuleReadiness> _sets = [];
    private bool _disposed;

    private readonly Func<ISessionIdentity, ulong, EventEntry?>? _findEvent;
    private readonly EventSignaller? _signaller;

    /// <param name="module">The module's name.</param>
    /// <param name="logger">Where failures are logged.</param>
    /// <param name="maxDescriptors">The descriptors it may hold: handles, and two per readiness set.</param>
    /// <param name="daemonBudget">The daemon's descriptor budget, whose total the module's descriptors count in too; none: only the module's own limit binds.</param>
    /// <param name="findEvent">The event a session holds by handle (for <see cref="OpenEvent"/>); none: OpenEvent finds nothing.</param>
    /// <param name="signaller">The daemon's event signaller, for a session event's handle.</param>
    public ModuleIo(string module, ILogger logger, int maxDescriptors, Quota? daemonBudget, Func<ISessionIdentity, ulong, EventEntry?>? findEvent = null, EventSignaller? signaller = null)
    {
        Module = module;
        _logger = logger;
        _findEvent = findEvent;
        _signaller = signaller;

        // One budget per module, counted as the module's own (session 0, the daemon's uid): only the total binds.
        _descriptors = new Quota($"descriptors of module {module}", long.MaxValue, long.MaxValue, maxDescriptors, daemonBudget);
    }

    public string Module { get; }

    public string? LastError => t_lastError;

    /// <summary>Descriptors held now (handles, and two per readiness set).</summary>
    public long DescriptorsHeld => _descriptors.Held;

    public int CreateReadiness(out IModuleReadiness? readiness)
    {
        readiness = null;
        if (!Reserve(2, "a readiness set", out int refused))
        {
            return refused;
        }

        SafeFd? epoll = null;
        SafeFd? wake = null;
        ModuleReadiness set;
        try
        {
            epoll = Libc.EpollCreate();
            wake = Libc.CreateEvent();
            set = new ModuleReadiness(this, epoll, wake);
        }
        catch (NativeException ex)
        {
            epoll?.Dispose();
            wake?.Dispose();
            _descriptors.Return(0, 0, 2);
            return Fail(ErrnoStatus.IoStatusOf(ex.Errno), $"creating a readiness set failed: {ex.Message}");
        }

        lock (_lock)
        {
            if (!_disposed)
            {
                _sets.Add(set);
                readiness = set;
                return 0;
            }
        }

        set.Dispose();
        return Fail(SupStatus.ObjectDying, $"creating a readiness set: module {Module} is unloading");
    }

    public int CreateEvent(out IModuleIoHandle? handle)
    {
        handle = null;
        if (!Reserve(1, "an event", out int refused))
        {
            return refused;
        }

        SafeFd fd;
        try
        {
            fd = Libc.CreateEvent();
        }
        catch (NativeException ex)
        {
            _descriptors.Return(0, 0, 1);
            return Fail(ErrnoStatus.IoStatusOf(ex.Errno), $"creating an event failed: {ex.Message}");
        }

        return Adopt(IoHandleKind.Event, "event", fd, null, out handle);
    }

    public int OpenEvent(ISessionIdentity holder, ulong eventHandle, out IModuleIoHandle? handle)
    {
        ArgumentNullException.ThrowIfNull(holder);
        handle = null;
        string what = $"event 0x{eventHandle:x16} of session {holder.Id}";
        EventEntry? entry = _findEvent?.Invoke(holder, eventHandle);
        if (entry is null || _signaller is null)
        {
            return Fail(SupStatus.InvalidHandle, $"OpenEvent: handle 0x{eventHandle:x16} is not an event session {holder.Id} holds");
        }

        if (!Reserve(1, what, out int refused))
        {
            return refused;
        }

        SafeFd duplicate;
        try
        {
            duplicate = Libc.Duplicate(entry.Fd);
        }
        catch (ObjectDisposedException)
        {
            _descriptors.Return(0, 0, 1);
            return Fail(SupStatus.InvalidHandle, $"OpenEvent: {what} was closed meanwhile");
        }
        catch (NativeException ex)
        {
            _descriptors.Return(0, 0, 1);
            return Fail(ErrnoStatus.IoStatusOf(ex.Errno), $"OpenEvent: duplicating {what} failed: {ex.Message}");
        }

        int status = Adopt(new ModuleIoHandle(this, what, duplicate, entry, _signaller), out handle);
        if (status != 0)
        {
            return status;
        }

        // Closed with the event: registered after the handle is the module's, so that a close racing
        // this either finds it here or makes AddDependent refuse.
        if (!entry.AddDependent(handle!))
        {
            handle!.Dispose();
            handle = null;
            return Fail(SupStatus.InvalidHandle, $"OpenEvent: {what} was closed meanwhile");
        }

        return 0;
    }

    public int Adopt(ModuleDescriptor descriptor, out IModuleIoHandle? handle)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        handle = null;
        using (descriptor)
        {
            SafeHandle received;
            try
            {
                received = descriptor.Handle;
            }
            catch (ObjectDisposedException)
            {
                return Fail(SupStatus.ObjectDying, "Adopt: the descriptor was taken or closed already");
            }

            if (received is not SafeFd fd)
            {
                return Fail(SupStatus.InvalidParameter, "Adopt: not a descriptor the daemon received with a call");
            }

            string? refusal;
            IoHandleKind kind;
            string name;
            try
            {
                refusal = Classify(fd, out kind, out name);
            }
            catch (ObjectDisposedException)
            {
                return Fail(SupStatus.ObjectDying, "Adopt: the descriptor was closed meanwhile");
            }

            if (refusal is not null)
            {
                return Fail(SupStatus.InvalidParameter, $"Adopt: {refusal}");
            }

            if (!Reserve(1, name, out int refused))
            {
                return refused;
            }

            // A duplicate of the module's own, so the call's descriptor (and the session's count) goes now.
            SafeFd duplicate;
            try
            {
                duplicate = Libc.Duplicate(fd);
            }
            catch (NativeException ex)
            {
                _descriptors.Return(0, 0, 1);
                return Fail(ErrnoStatus.IoStatusOf(ex.Errno), $"Adopt: duplicating {name} failed: {ex.Message}");
            }

            return Adopt(new ModuleIoHandle(this, kind, name, duplicate, null, shared: true), out handle);
        }
    }

    /// <summary>What a client's descriptor is, or why it cannot be adopted.</summary>
    private static string? Classify(SafeFd fd, out IoHandleKind kind, out string name)
    {
        const int AfUnix = 1;
        const int AfPacket = 17;
        const int SockStream = 1;
        const int SockDgram = 2;
        const int SockRaw = 3;
        kind = IoHandleKind.Invalid;
        name = "";
        Errno errno = Libc.TryGetFileType(fd, out uint fileType, out uint major, out uint minor);
        if (errno != Errno.None)
        {
            return $"fstat of the descriptor failed: {errno}";
        }

        if (fileType == FileStatus.SocketType)
        {
            errno = Libc.TryGetSocketKind(fd, out int domain, out int type, out bool listening);
            if (errno != Errno.None)
            {
                return $"reading the socket's kind failed: {errno}";
            }

            (kind, name) = (domain, type, listening) switch
            {
                (AfUnix, SockStream, false) => (IoHandleKind.UnixStream, "adopted unix stream"),
                (AfUnix, SockDgram, _) => (IoHandleKind.UnixDatagram, "adopted unix datagram"),
                (AfPacket, SockRaw, _) => (IoHandleKind.PacketSocket, "adopted packet socket"),
                _ => (IoHandleKind.Invalid, ""),
            };
            return kind != IoHandleKind.Invalid ? null
                : listening ? "a listening socket cannot be adopted (accept(2) has no per-call non-blocking flag, and the client shares its O_NONBLOCK); send the connections"
                : $"a socket of domain {domain} and type {type}; a connected Unix stream, a Unix datagram or an AF_PACKET SOCK_RAW socket can be adopted";
        }

        if (fileType == FileStatus.CharacterDeviceType && major == Libc.TunMajor && minor == Libc.TunMinor)
        {
            errno = Libc.TryGetTap(fd, out string? tap, out bool tapWithHeader, out int headerSize);
            if (errno != Errno.None)
            {
                return errno == Errno.EBADFD ? "a /dev/net/tun descriptor with no interface attached (TUNSETIFF first)" : $"reading the TAP's settings failed: {errno}";
            }

            if (!tapWithHeader || headerSize != Libc.VirtioNetHeaderSize)
            {
                return $"{tap} is not a TAP with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR and a {Libc.VirtioNetHeaderSize}-byte header (header size {headerSize})";
            }

            (kind, name) = (IoHandleKind.Tap, $"adopted tap {tap}");
            return null;
        }

        return fileType switch
        {
            0x8000 => "a regular file; a socket or a TAP can be adopted",
            0x1000 => "a pipe; a socket or a TAP can be adopted",
            FileStatus.CharacterDeviceType => $"the character device {major}:{minor}; of devices only a TAP (/dev/net/tun, 10:200) can be adopted",
            _ => $"a file of type 0x{fileType:x} (st_mode & S_IFMT); a socket or a TAP can be adopted",
        };
    }

    public int CreateTap(string name, string? networkNamespace, TapOffloads offloads, out IModuleIoHandle? tap) =>
        CreateTap(name, networkNamespace, offloads, persistent: false, out tap);

    public int CreateTap(string name, string? networkNamespace, TapOffloads offloads, bool persistent, out IModuleIoHandle? tap)
    {
        tap = null;
        if (BeginTap(name, networkNamespace, offloads, "CreateTap") is int refused)
        {
            return refused;
        }

        // TapOffloads has the values of TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6 and TUN_F_TSO_ECN.
        SafeFd? fd = null;
        Errno errno = NamespaceThread.Run(
            networkNamespace,
            () =>
            {
                Errno made = Libc.TryCreateTap(name, vnetHeader: true, (uint)offloads, out fd);
                if (made == Errno.None && persistent)
                {
                    made = Libc.TrySetTapPersistent(fd!, true);
                    if (made != Errno.None)
                    {
                        fd!.Dispose();
                        fd = null;
                    }
                }

                return made;
            },
            Module,
            _logger,
            out string? step);
        string where = Where(networkNamespace);
        if (errno != Errno.None)
        {
            _descriptors.Return(0, 0, 1);
            return Fail(ErrnoStatus.IoStatusOf(errno), $"CreateTap: {step ?? $"creating TAP {name} in {where} (/dev/net/tun, TUNSETIFF, TUNSETOFFLOAD{(persistent ? ", TUNSETPERSIST" : string.Empty)})"} failed: {errno}");
        }

        IoLog.TapCreated(_logger, Module, name, where);
        if (persistent)
        {
            string persisted = $"TAP {name} in {where}";
            IoLog.TapPersistence(_logger, Module, persisted, true);
        }

        return Adopt(IoHandleKind.Tap, $"tap {name} in {where}", fd!, null, out tap);
    }

    /// <summary>The checks before a TAP is made or opened (its name, namespace and offloads), then its descriptor reserved; a status when refused.</summary>
    private int? BeginTap(string name, string? networkNamespace, TapOffloads offloads, string operation)
    {
        if (CheckLink(name, networkNamespace, operation) is int invalid)
        {
            return invalid;
        }

        if ((offloads & ~KnownOffloads) != TapOffloads.None)
        {
            return Fail(SupStatus.InvalidParameter, $"{operation}: offloads 0x{(int)offloads:x} have bits outside 0x{(int)KnownOffloads:x}");
        }

        return Reserve(1, $"TAP {name}", out int refused) ? null : refused;
    }

    public int OpenTap(string name, string? networkNamespace, TapOffloads offloads, out IModuleIoHandle? tap, out bool persistent)
    {
        (tap, persistent) = (null, false);
        if (BeginTap(name, networkNamespace, offloads, "OpenTap") is int refused)
        {
            return refused;
        }

        SafeFd? fd = null;
        bool wasPersistent = false;
        Errno errno = NamespaceThread.Run(networkNamespace, () => Libc.TryOpenExistingTap(name, (uint)offloads, out fd, out wasPersistent), Module, _logger, out string? step);
        string where = Where(networkNamespace);
        if (errno != Errno.None)
        {
            _descriptors.Return(0, 0, 1);
            (SupStatus status, string what) = errno switch
            {
                Errno.ENODEV => (SupStatus.NotFound, $"there is no interface {name} in {where}"),
                Errno.EINVAL => (SupStatus.InvalidParameter, $"{name} in {where} is not a single-queue TAP (TUNSETIFF: EINVAL)"),
                Errno.EBUSY => (SupStatus.AlreadyExists, $"TAP {name} in {where} is held by another descriptor (TUNSETIFF: EBUSY)"),
                _ => (ErrnoStatus.IoStatusOf(errno), $"{step ?? $"reopening TAP {name} in {where}"} failed: {errno}"),
            };
            return Fail(status, $"OpenTap: {what}");
        }

        persistent = wasPersistent;
        IoLog.TapOpened(_logger, Module, name, where, wasPersistent);
        return Adopt(IoHandleKind.Tap, $"tap {name} in {where}", fd!, null, out tap);
    }

    public int SetTapPersistent(IModuleIoHandle tap, bool persistent)
    {
        if (tap is not ModuleIoHandle handle || handle.Owner != this || handle.Kind != IoHandleKind.Tap)
        {
            return Fail(SupStatus.InvalidParameter, "SetTapPersistent: not a TAP handle of this module");
        }

        if (handle.IsClosed)
        {
            return Fail(SupStatus.ObjectDying, $"SetTapPersistent: {handle.Name} is closed");
        }

        Errno errno;
        try
        {
            errno = Libc.TrySetTapPersistent(handle.Fd, persistent);
        }
        catch (ObjectDisposedException)
        {
            return Fail(SupStatus.ObjectDying, $"SetTapPersistent: {handle.Name} is closed");
        }

        if (errno != Errno.None)
        {
            return Fail(ErrnoStatus.IoStatusOf(errno), $"SetTapPersistent: TUNSETPERSIST {(persistent ? 1 : 0)} on {handle.Name} failed: {errno}");
        }

        IoLog.TapPersistence(_logger, Module, handle.Name, persistent);
        return 0;
    }

    public int OpenPacketSocket(string interfaceName, string? networkNamespace, bool promiscuous, bool vnetHeader, out IModuleIoHandle? socket)
    {
        socket = null;
        if (CheckLink(interfaceName, networkNamespace, "OpenPacketSocket") is int invalid)
        {
            return invalid;
        }

        if (!Reserve(1, $"a packet socket on {interfaceName}", out int refused))
        {
            return refused;
        }

        SafeFd? fd = null;
        Errno errno = NamespaceThread.Run(networkNamespace, () => Libc.TryOpenPacketSocket(interfaceName, promiscuous, vnetHeader, out fd, out _), Module, _logger, out string? step);
        string where = Where(networkNamespace);
        if (errno != Errno.None)
        {
            _descriptors.Return(0, 0, 1);
            string what = errno == Errno.ENODEV ? $"there is no interface {interfaceName} in {where}" : $"{step ?? $"opening a packet socket on {interfaceName} in {where}"} failed: {errno}";
            return Fail(ErrnoStatus.IoStatusOf(errno), $"OpenPacketSocket: {what}");
        }

        IoLog.PacketSocketOpened(_logger, Module, interfaceName, where, promiscuous, vnetHeader);
        return Adopt(IoHandleKind.PacketSocket, $"packet socket on {interfaceName} in {where}", fd!, null, out socket);
    }

    public int ConfigureLink(string name, string? networkNamespace, LinkSettings settings)
    {
        if (CheckLink(name, networkNamespace, "ConfigureLink") is int invalid)
        {
            return invalid;
        }

        if (settings is null)
        {
            return Fail(SupStatus.InvalidParameter, "ConfigureLink: no settings");
        }

        if (settings.Mtu is int mtu && mtu is < MinMtu or > MaxMtu)
        {
            return Fail(SupStatus.InvalidParameter, $"ConfigureLink: MTU {mtu} is outside {MinMtu} to {MaxMtu}");
        }

        byte[]? mac = settings.MacAddress?.ToArray();
        if (mac is not null && (mac.Length != 6 || (mac[0] & 1) != 0 || mac.All(b => b == 0)))
        {
            return Fail(SupStatus.InvalidParameter, $"ConfigureLink: the address {Convert.ToHexString(mac)} is not a unicast Ethernet address (six bytes, not all zero, the first byte's low bit clear)");
        }

        string failed = string.Empty;
        Errno errno = NamespaceThread.Run(
            networkNamespace,
            () =>
            {
                // The control socket must be made in the namespace: netdevice(7) requests act on the socket's.
                using SafeFd control = Libc.InterfaceControlSocket();
                Errno result = Errno.None;
                if (settings.Mtu is int newMtu && (result = Libc.TrySetInterfaceMtu(control, name, newMtu)) != Errno.None)
                {
                    failed = $"setting MTU {newMtu} (SIOCSIFMTU)";
                }
                else if (mac is not null && (result = Libc.TrySetInterfaceMac(control, name, mac)) != Errno.None)
                {
                    failed = "setting the address (SIOCSIFHWADDR)";
                }
                else if (settings.Up is bool up && (result = Libc.TrySetInterfaceUp(control, name, up)) != Errno.None)
                {
                    failed = $"setting it {(up ? "up" : "down")} (SIOCSIFFLAGS)";
                }

                return result;
            },
            Module,
            _logger,
            out string? step);
        string where = Where(networkNamespace);
        if (errno != Errno.None)
        {
            string what = errno == Errno.ENODEV ? $"there is no interface {name} in {where}" : $"{step ?? $"{failed} on {name} in {where}"} failed: {errno}";
            return Fail(ErrnoStatus.IoStatusOf(errno), $"ConfigureLink: {what}");
        }

        string address = mac is null ? "unchanged" : Convert.ToHexString(mac);
        IoLog.LinkConfigured(_logger, Module, name, where, settings.Mtu, address, settings.Up);
        return 0;
    }

    public int MoveLink(string name, string? networkNamespace, string targetNamespace)
    {
        if (CheckLink(name, networkNamespace, "MoveLink") is int invalid)
        {
            return invalid;
        }

        if (!Libc.IsValidNetworkNamespaceName(targetNamespace))
        {
            return Fail(SupStatus.InvalidName, $"MoveLink: '{targetNamespace}' is not a network namespace name (1 to 64 letters, digits, '.', '_' or '-')");
        }

        Errno opened = Libc.TryOpenNetworkNamespace(targetNamespace, out SafeFd? target);
        if (opened != Errno.None)
        {
            return Fail(ErrnoStatus.IoStatusOf(opened), $"MoveLink: opening the network namespace '{targetNamespace}' (/run/netns/{targetNamespace}) failed: {opened}");
        }

        using (target)
        {
            Errno errno = NamespaceThread.Run(networkNamespace, () => Libc.TryMoveLinkToNamespace(name, target!), Module, _logger, out string? step);
            string where = Where(networkNamespace);
            if (errno != Errno.None)
            {
                string what = errno == Errno.ENODEV ? $"there is no interface {name} in {where}" : $"{step ?? $"moving {name} from {where} to network namespace {targetNamespace} (RTM_NEWLINK)"} failed: {errno}";
                return Fail(ErrnoStatus.IoStatusOf(errno), $"MoveLink: {what}");
            }

            IoLog.LinkMoved(_logger, Module, name, where, targetNamespace);
            return 0;
        }
    }

    public int CreateSocketPair(IoSocketType type, out IModuleIoHandle? first, out IModuleIoHandle? second)
    {
        first = second = null;
        if (SocketType(type, "CreateSocketPair", out int native, out IoHandleKind kind) is int invalid)
        {
            return invalid;
        }

        if (!Reserve(2, "a socket pair", out int refused))
        {
            return refused;
        }

        Errno errno = Libc.TrySocketPairNonBlocking(native, out SafeFd? a, out SafeFd? b);
        if (errno != Errno.None)
        {
            _descriptors.Return(0, 0, 2);
            return Fail(ErrnoStatus.IoStatusOf(errno), $"CreateSocketPair: socketpair failed: {errno}");
        }

        int status = Adopt(kind, $"unix {type} pair (first)", a!, null, out first);
        if (status != 0)
        {
            b!.Dispose();
            _descriptors.Return(0, 0, 1);
            return status;
        }

        status = Adopt(kind, $"unix {type} pair (second)", b!, null, out second);
        if (status != 0)
        {
            first!.Dispose();
            first = null;
        }

        return status;
    }

    public int Listen(IoSocketType type, string path, int backlog, out IModuleIoHandle? socket)
    {
        socket = null;
        if (SocketType(type, "Listen", out int native, out IoHandleKind kind) is int invalid)
        {
            return invalid;
        }

        if (!Libc.IsValidUnixPath(path))
        {
            return Fail(SupStatus.InvalidName, $"Listen: the path '{path}' must have 1 to {Libc.MaxUnixPathBytes} bytes and no NUL");
        }

        if (backlog is < 1 or > MaxBacklog)
        {
            return Fail(SupStatus.InvalidParameter, $"Listen: backlog {backlog} is outside 1 to {MaxBacklog}");
        }

        if (!Reserve(1, $"a socket on {path}", out int refused))
        {
            return refused;
        }

        Errno errno = Libc.TryBindUnixNonBlocking(native, path, backlog, out SafeFd? fd);
        if (errno != Errno.None)
        {
            _descriptors.Return(0, 0, 1);
            return Fail(ErrnoStatus.IoStatusOf(errno), $"Listen: binding {path} failed: {errno}");
        }

        return Adopt(kind == IoHandleKind.UnixStream ? IoHandleKind.UnixListener : kind, $"unix {type} {path}", fd!, path, out socket);
    }

    public int Connect(IoSocketType type, string path, out IModuleIoHandle? socket)
    {
        socket = null;
        if (SocketType(type, "Connect", out int native, out IoHandleKind kind) is int invalid)
        {
            return invalid;
        }

        if (!Libc.IsValidUnixPath(path))
        {
            return Fail(SupStatus.InvalidName, $"Connect: the path '{path}' must have 1 to {Libc.MaxUnixPathBytes} bytes and no NUL");
        }

        if (!Reserve(1, $"a connection to {path}", out int refused))
        {
            return refused;
        }

        Errno errno = Libc.TryConnectUnixNonBlocking(native, path, out SafeFd? fd);
        if (errno != Errno.None)
        {
            _descriptors.Return(0, 0, 1);
            SupStatus status = ErrnoStatus.IoStatusOf(errno);
            return status == SupStatus.WouldBlock ? (int)status : Fail(status, $"Connect: connecting to {path} failed: {errno}");
        }

        return Adopt(kind, $"unix {type} to {path}", fd!, null, out socket);
    }

    public int ListenTcp(int port, int backlog, out IModuleIoHandle? listener, out int boundPort)
    {
        listener = null;
        boundPort = 0;
        if (port is < 0 or > 65535 || backlog is < 1 or > MaxBacklog)
        {
            return Fail(SupStatus.InvalidParameter, $"ListenTcp: port {port} (0 to 65535) or backlog {backlog} (1 to {MaxBacklog}) out of range");
        }

        if (!Reserve(1, $"a TCP listener on 127.0.0.1:{port}", out int refused))
        {
            return refused;
        }

        Errno errno = Libc.TryListenTcpLoopback(port, backlog, out SafeFd? fd, out boundPort);
        if (errno != Errno.None)
        {
            _descriptors.Return(0, 0, 1);
            return Fail(ErrnoStatus.IoStatusOf(errno), $"ListenTcp: listening on 127.0.0.1:{port} failed: {errno}");
        }

        return Adopt(IoHandleKind.TcpListener, $"tcp 127.0.0.1:{boundPort}", fd!, null, out listener);
    }

    public int ConnectTcp(int port, out IModuleIoHandle? socket)
    {
        socket = null;
        if (port is < 1 or > 65535)
        {
            return Fail(SupStatus.InvalidParameter, $"ConnectTcp: port {port} is outside 1 to 65535");
        }

        if (!Reserve(1, $"a TCP connection to 127.0.0.1:{port}", out int refused))
        {
            return refused;
        }

        Errno errno = Libc.TryConnectTcpLoopback(port, 100, out SafeFd? fd);
        if (errno != Errno.None)
        {
            _descriptors.Return(0, 0, 1);
            SupStatus status = ErrnoStatus.IoStatusOf(errno);
            return status == SupStatus.WouldBlock ? (int)status : Fail(status, $"ConnectTcp: connecting to 127.0.0.1:{port} failed: {errno}");
        }

        return Adopt(IoHandleKind.TcpStream, $"tcp to 127.0.0.1:{port}", fd!, null, out socket);
    }

    /// <summary>Accepts one connection on <paramref name="listener"/> (<see cref="IModuleIoHandle.Accept"/>).</summary>
    public int Accept(ModuleIoHandle listener, out IModuleIoHandle? connection)
    {
        connection = null;
        if (!Reserve(1, $"a connection on {listener.Name}", out int refused))
        {
            return refused;
        }

        Errno errno;
        SafeFd? fd;
        try
        {
            errno = Libc.TryAcceptNonBlocking(listener.Fd, out fd);
        }
        catch (ObjectDisposedException)
        {
            _descriptors.Return(0, 0, 1);
            return Fail(SupStatus.ObjectDying, $"accept on {listener.Name}: the handle is closed");
        }

        if (errno != Errno.None)
        {
            _descriptors.Return(0, 0, 1);
            SupStatus status = ErrnoStatus.IoStatusOf(errno);
            return status == SupStatus.WouldBlock ? (int)status : Fail(status, $"accept on {listener.Name} failed: {errno}");
        }

        if (listener.Kind == IoHandleKind.TcpListener)
        {
            // Frames go out when written; a failure here only costs latency.
            _ = Libc.TrySetTcpNoDelay(fd!);
            return Adopt(IoHandleKind.TcpStream, $"connection on {listener.Name}", fd!, null, out connection);
        }

        return Adopt(IoHandleKind.UnixStream, $"connection on {listener.Name}", fd!, null, out connection);
    }

    /// <summary>Records <paramref name="message"/> as this thread's <see cref="LastError"/>, logs it (Debug) and returns <paramref name="status"/>.</summary>
    public int Fail(SupStatus status, string message)
    {
        t_lastError = message;
        IoLog.Failed(_logger, Module, message);
        return (int)status;
    }

    /// <summary>A handle is closing: it leaves every set, while its descriptor is still open.</summary>
    public void Leave(ModuleIoHandle handle)
    {
        List<ModuleReadiness> sets;
        lock (_lock)
        {
            sets = [.. _sets];
        }

        foreach (ModuleReadiness set in sets)
        {
            set.Leave(handle);
        }
    }

    /// <summary>A handle was closed: its descriptor goes back to the budget.</summary>
    public void OnClosed(ModuleIoHandle handle)
    {
        lock (_lock)
        {
            if (!_handles.Remove(handle))
            {
                return;
            }
        }

        _descriptors.Return(0, 0, 1);
    }

    /// <summary>A readiness set was closed: its two descriptors go back to the budget.</summary>
    public void OnClosed(ModuleReadiness set)
    {
        lock (_lock)
        {
            if (!_sets.Remove(set))
            {
                return;
            }
        }

        _descriptors.Return(0, 0, 2);
    }

    /// <summary>Closes every set (ending running waits) and every handle the module left open; then refuses new ones.</summary>
    public void Dispose() => Close();

    /// <summary>As <see cref="Dispose"/>; returns how many handles and readiness sets were left open (none the second time).</summary>
    public (int Handles, int Sets) Close()
    {
        List<ModuleReadiness> sets;
        List<ModuleIoHandle> handles;
        lock (_lock)
        {
            if (_disposed)
            {
                return (0, 0);
            }

            _disposed = true;
            sets = [.. _sets];
            handles = [.. _handles];
        }

        if (sets.Count + handles.Count > 0)
        {
            IoLog.HandlesLeft(_logger, Module, handles.Count, sets.Count);
        }

        foreach (ModuleReadiness set in sets)
        {
            set.Dispose();
        }

        foreach (ModuleIoHandle handle in handles)
        {
            handle.Dispose();
        }

        return (handles.Count, sets.Count);
    }

    private static string Where(string? networkNamespace) => networkNamespace is null ? "the daemon's network namespace" : $"network namespace {networkNamespace}";

    private bool Reserve(int count, string what, out int status)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                status = Fail(SupStatus.ObjectDying, $"opening {what}: module {Module} is unloading");
                return false;
            }
        }

        if (!_descriptors.TryTake(0, 0, count, out string? message))
        {
            status = Fail(SupStatus.LimitReached, $"opening {what}: {message}");
            return false;
        }

        status = 0;
        return true;
    }

    /// <summary>Wraps a reserved descriptor in a handle the module holds; closes it when the module is unloading.</summary>
    private int Adopt(IoHandleKind kind, string name, SafeFd fd, string? socketPath, out IModuleIoHandle? handle) =>
        Adopt(new ModuleIoHandle(this, kind, name, fd, socketPath), out handle);

    private int Adopt(ModuleIoHandle adopted, out IModuleIoHandle? handle)
    {
        string name = adopted.Name;
        lock (_lock)
        {
            if (!_disposed)
            {
                _handles.Add(adopted);
                handle = adopted;
                return 0;
            }
        }

        // Not in _handles, so OnClosed returns nothing: give the reservation back here.
        adopted.Dispose();
        _descriptors.Return(0, 0, 1);
        handle = null;
        return Fail(SupStatus.ObjectDying, $"opening {name}: module {Module} is unloading");
    }

    private int? CheckLink(string name, string? networkNamespace, string call)
    {
        if (!Libc.IsValidInterfaceName(name))
        {
            return Fail(SupStatus.InvalidName, $"{call}: '{name}' is not an interface name (1 to {Libc.InterfaceNameSize - 1} bytes, no '/', ':' or white space)");
        }

        if (networkNamespace is not null && !Libc.IsValidNetworkNamespaceName(networkNamespace))
        {
            return Fail(SupStatus.InvalidName, $"{call}: '{networkNamespace}' is not a network namespace name (1 to 64 letters, digits, '.', '_' or '-')");
        }

        return null;
    }

    private int? SocketType(IoSocketType type, string call, out int native, out IoHandleKind kind)
    {
        (native, kind) = type switch
        {
            IoSocketType.Stream => (Libc.SOCK_STREAM, IoHandleKind.UnixStream),
            IoSocketType.Datagram => (Libc.SOCK_DGRAM, IoHandleKind.UnixDatagram),
            _ => (0, IoHandleKind.Invalid),
        };
        return kind == IoHandleKind.Invalid ? Fail(SupStatus.InvalidParameter, $"{call}: socket type {(int)type} is neither Stream (1) nor Datagram (2)") : null;
    }
}
