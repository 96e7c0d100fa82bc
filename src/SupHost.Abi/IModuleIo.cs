namespace SupHost.Abi;

/// <summary>
/// I/O for modules (IPRT's RTPoll, RTSocket and the host network glue of the original): readiness
/// sets over many descriptors, events, TAP devices, AF_PACKET sockets, Unix stream and datagram
/// sockets, and link settings, all non-blocking and held through <see cref="IModuleIoHandle"/>.
/// Everything is the module's and is closed when it unloads. Every method returns 0 or a
/// negative status and fills its out parameter only on success; <see cref="LastError"/> then says
/// why a call failed. A module holds at most 4096 descriptors this way (-20 LimitReached beyond; a handle is one, a readiness set two).
/// </summary>
/// <remarks>
/// A network namespace is named as ip-netns(8) names it (/run/netns/NAME); null is the daemon's
/// own. The daemon enters it on a thread of its own for the call (namespaces are per thread), so
/// the caller's thread never changes namespace; the descriptor made there keeps its namespace.
/// Missing namespaces and interfaces are -15 NotFound.
/// </remarks>
public interface IModuleIo
{
    /// <summary>The message of the last call that failed on this thread (the value, the limit, the errno), or null.</summary>
    string? LastError { get; }

    /// <summary>A new, empty readiness set.</summary>
    int CreateReadiness(out IModuleReadiness? readiness);

    /// <summary>A new event handle, zero (an eventfd).</summary>
    int CreateEvent(out IModuleIoHandle? handle);

    /// <summary>
    /// An <see cref="IoHandleKind.Event"/> handle over the event semaphore <paramref name="eventHandle"/>
    /// that <paramref name="holder"/> holds (a client's, or one <see cref="IModuleEvents.Create"/>
    /// made for it), so that a readiness set wakes when the client signals it: a client's doorbell
    /// (Abi 1.1). <see cref="IModuleIoHandle.Signal"/> signals the event as
    /// <see cref="IModuleEvents.Signal"/> does; <see cref="IModuleIoHandle.Consume"/> takes its counter
    /// (the client's waiter then sees none); Read and Write are refused. The handle closes by itself
    /// (leaving every set, -21 ObjectDying after) when the session closes the event or ends.
    /// 0, -14 InvalidHandle when the holder holds no such event, -20 LimitReached.
    /// </summary>
    int OpenEvent(ISessionIdentity holder, ulong eventHandle, out IModuleIoHandle? handle);

    /// <summary>
    /// Takes a descriptor a client sent with a call (<see cref="ModuleCall.Descriptors"/>) into a
    /// handle (Abi 1.1): a connected Unix stream or datagram socket, an AF_PACKET socket, or a TAP
    /// (/dev/net/tun with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR and a 10-byte header). The client keeps
    /// sharing the open file (and may change its O_NONBLOCK), so every read and write on an adopted
    /// handle is RWF_NOWAIT and never blocks whatever the client did. <paramref name="descriptor"/>
    /// is consumed (disposed) whatever the result; on success its count moves from the session's
    /// descriptors to the module's. 0; -2 InvalidParameter for any other descriptor (a listener, a
    /// TUN, a regular file: the message says what it is); -21 ObjectDying when it was taken or
    /// closed already; -20 LimitReached.
    /// </summary>
    int Adopt(ModuleDescriptor descriptor, out IModuleIoHandle? handle);

    /// <summary>
    /// Creates the TAP <paramref name="name"/> (1 to 15 bytes) in <paramref name="networkNamespace"/>
    /// with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR: every frame read or written starts with a 10-byte
    /// virtio_net_hdr. <paramref name="offloads"/> go to TUNSETOFFLOAD. The device goes when the handle closes.
    /// </summary>
    int CreateTap(string name, string? networkNamespace, TapOffloads offloads, out IModuleIoHandle? tap);

    /// <summary>
    /// An AF_PACKET socket on the interface <paramref name="interfaceName"/> in
    /// <paramref name="networkNamespace"/>, receiving every protocol; with <paramref name="promiscuous"/>
    /// a promiscuous membership (ended when the socket closes); with <paramref name="vnetHeader"/>
    /// PACKET_VNET_HDR (each frame behind a virtio_net_hdr).
    /// </summary>
    int OpenPacketSocket(string interfaceName, string? networkNamespace, bool promiscuous, bool vnetHeader, out IModuleIoHandle? socket);

    /// <summary>Sets what <paramref name="settings"/> gives on the interface <paramref name="name"/> in <paramref name="networkNamespace"/>, in the order MTU, address, up/down.</summary>
    int ConfigureLink(string name, string? networkNamespace, LinkSettings settings);

    /// <summary>
    /// Moves the interface <paramref name="name"/> from <paramref name="networkNamespace"/> into
    /// <paramref name="targetNamespace"/> (rtnetlink's IFLA_NET_NS_FD). A TAP moved keeps its handle
    /// and goes, wherever it is, when the handle closes. The link arrives down there.
    /// </summary>
    int MoveLink(string name, string? networkNamespace, string targetNamespace);

    /// <summary>A connected pair of Unix sockets of <paramref name="type"/>.</summary>
    int CreateSocketPair(IoSocketType type, out IModuleIoHandle? first, out IModuleIoHandle? second);

    /// <summary>
    /// A Unix socket bound to <paramref name="path"/> (1 to 107 bytes; it must not exist): a
    /// listener for <see cref="IoSocketType.Stream"/> (backlog <paramref name="backlog"/>, 1 to
    /// 4096), a datagram socket otherwise. The path is removed when the handle closes.
    /// </summary>
    int Listen(IoSocketType type, string path, int backlog, out IModuleIoHandle? socket);

    /// <summary>A Unix socket connected to <paramref name="path"/>; -53 WouldBlock when the listener's backlog is full, -55 PeerClosed when nobody listens there.</summary>
    int Connect(IoSocketType type, string path, out IModuleIoHandle? socket);
}
