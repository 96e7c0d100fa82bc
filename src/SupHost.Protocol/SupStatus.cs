namespace SupHost.Protocol;

/// <summary>
/// Status codes. Negative values are errors, zero is success, positive values are successes with
/// information. Values are stable and never reused; every reply carries one.
/// </summary>
public enum SupStatus
{
    /// <summary>Success.</summary>
    Success = 0,

    /// <summary>Success, and the call dropped the object's last reference: its destructor ran.</summary>
    ObjectDestroyed = 1,

    /// <summary>Success: the module was loaded already (its init ran before and does not run again).</summary>
    AlreadyLoaded = 2,

    /// <summary>Success: the last reference went and the module was terminated and unloaded.</summary>
    ModuleUnloaded = 3,

    /// <summary>An unexpected failure in the daemon; the message says what.</summary>
    GeneralFailure = -1,

    /// <summary>A field of the request is out of range or malformed; the message names it.</summary>
    InvalidParameter = -2,

    /// <summary>The header's magic, or the cookie request's magic string, is wrong.</summary>
    InvalidMagic = -3,

    /// <summary>The session cookie does not match this session's.</summary>
    InvalidCookie = -4,

    /// <summary>The function code is unknown.</summary>
    UnknownFunction = -5,

    /// <summary>The header's sizes disagree with the datagram's length or with the function's sizes.</summary>
    InvalidSize = -6,

    /// <summary>The datagram is larger than the configured request limit.</summary>
    RequestTooLarge = -7,

    /// <summary>The header carries flag bits this version does not define.</summary>
    InvalidFlags = -8,

    /// <summary>The client needs an interface version the server does not offer.</summary>
    VersionMismatch = -9,

    /// <summary>Access to the object or endpoint is denied.</summary>
    PermissionDenied = -10,

    /// <summary>The function is not available on a restricted session.</summary>
    RestrictedSession = -11,

    /// <summary>The first request of a connection must be the cookie request.</summary>
    HandshakeRequired = -12,

    /// <summary>The cookie request was sent twice on one connection.</summary>
    AlreadyHandshaken = -13,

    /// <summary>The handle is not one this session holds (unknown, stale, of another session or another type).</summary>
    InvalidHandle = -14,

    /// <summary>No object or entry by that name.</summary>
    NotFound = -15,

    /// <summary>An entry with that identity exists already.</summary>
    AlreadyExists = -16,

    /// <summary>The reply does not fit in the output size the request allowed; the message gives the size needed.</summary>
    BufferOverflow = -17,

    /// <summary>No component factory has that name.</summary>
    ComponentNotFound = -18,

    /// <summary>Factories of that name exist but none answers that interface id.</summary>
    InterfaceNotSupported = -19,

    /// <summary>A per-session or global limit is reached.</summary>
    LimitReached = -20,

    /// <summary>The object is being destroyed.</summary>
    ObjectDying = -21,

    /// <summary>A name field is empty, unterminated, not UTF-8, or has forbidden characters.</summary>
    InvalidName = -22,

    /// <summary>The object type is unknown or not creatable through the protocol.</summary>
    InvalidObjectType = -23,

    /// <summary>The daemon is shutting down.</summary>
    ShuttingDown = -24,

    /// <summary>Client side: the daemon did not answer within the timeout.</summary>
    Timeout = -25,

    /// <summary>Client side: the connection is gone (the daemon stopped or closed it).</summary>
    Disconnected = -26,

    /// <summary>Client side: the daemon is not running (no socket, or nobody listening).</summary>
    DaemonNotRunning = -27,

    /// <summary>Client side: the reply was malformed.</summary>
    ProtocolError = -28,

    /// <summary>No module of that name in the module directories.</summary>
    ModuleNotFound = -29,

    /// <summary>The module file is not a loadable SupHost module; the message says why.</summary>
    InvalidModule = -30,

    /// <summary>The module was built against an Abi version this daemon does not offer.</summary>
    ModuleVersionMismatch = -31,

    /// <summary>A module file or directory is writable by others or owned by the wrong user.</summary>
    UnsafeModulePath = -32,

    /// <summary>The module's init threw; the message is its exception's.</summary>
    ModuleInitFailed = -33,

    /// <summary>The module is opened but not loaded.</summary>
    ModuleNotLoaded = -34,

    /// <summary>The module exports no entry point of that name.</summary>
    SymbolNotFound = -35,

    /// <summary>The module threw during the call; the message is its exception's.</summary>
    ModuleCallFailed = -36,

    /// <summary>Loading is locked down: no new module may be opened or loaded.</summary>
    LockedDown = -37,

    /// <summary>No module of that name, opened by this session, handles service requests.</summary>
    ServiceNotFound = -38,

    /// <summary>A wait ended at its timeout without the event being signalled.</summary>
    WaitTimedOut = -39,

    /// <summary>
    /// The protection the client set on a page (PageProtect) does not allow the access a module
    /// asked for: a lease of an inaccessible page, or a writable lease of a read-only one.
    /// </summary>
    PageProtected = -40,

    /// <summary>
    /// A module's wait on an event ended before its timeout because the call it ran in was
    /// cancelled (its client went away).
    /// </summary>
    WaitCancelled = -42,

    /// <summary>
    /// The daemon cannot signal events now: it signals a descriptor it shares with a client only
    /// through Linux AIO, which never blocks, and AIO is unavailable (fs.aio-max-nr reached, or no
    /// kernel support); the message says why. The client can still signal its own descriptor.
    /// </summary>
    SignalUnavailable = -43,

    /// <summary>
    /// The daemon made a reply but could not send it (larger than the socket takes, or no kernel
    /// memory for it); the message says why. What the request did stands; the session lives on.
    /// </summary>
    ReplyNotSent = -44,

    /// <summary>
    /// Client side: the request is larger than this process's socket can send (its send buffer,
    /// bounded by net.core.wmem_max without CAP_NET_ADMIN); the message gives both sizes.
    /// </summary>
    RequestNotSent = -45,

    /// <summary>
    /// The module is faulted: code of its own (a worker, a timer, a thread it started) threw, so
    /// its calls are refused until it is unloaded and loaded again; the message says what threw.
    /// </summary>
    ModuleFaulted = -47,

    /// <summary>
    /// The session (or module) something was to be registered for has ended: it takes no new
    /// objects, module references or factories, since nothing would release them.
    /// </summary>
    SessionEnded = -48,

    /// <summary>
    /// A request carried more descriptors than a call takes (16, <see cref="ProtocolConstants.MaxDescriptorsPerCall"/>),
    /// or descriptors that did not fit the daemon's control buffer: every one of them was closed
    /// and the request was not run.
    /// </summary>
    TooManyDescriptors = -50,

    /// <summary>
    /// A module put in its reply a descriptor the daemon cannot send (one it did not make, or one
    /// already closed): the call's result is refused, and every descriptor of the reply was closed.
    /// </summary>
    DescriptorNotTransferable = -51,

    /// <summary>
    /// A module's non-blocking I/O found nothing to do now (EAGAIN): nothing to read, no room to
    /// write, no connection waiting, a full backlog. Not a failure: wait for readiness and try again.
    /// </summary>
    WouldBlock = -53,

    /// <summary>A module's I/O failed with an errno the other statuses do not name; the module's message gives the call and the errno.</summary>
    IoFailed = -54,

    /// <summary>A module's socket has no peer any more (EPIPE, ECONNRESET, ECONNREFUSED): the other end closed or nobody listens.</summary>
    PeerClosed = -55,

    /// <summary>
    /// A trunk asked for is not there (the original's VERR_INTNET_FLT_IF_NOT_FOUND): no trunk driver
    /// is loaded for the trunk type (no factory answers its interface), or the driver has no
    /// interface of that name.
    /// </summary>
    TrunkNotFound = -56,

    /// <summary>The trunk's interface is connected to another network already (the original's VERR_INTNET_FLT_IF_BUSY).</summary>
    TrunkBusy = -57,

    /// <summary>Joining a network whose trunk type or trunk name differs from the open's (the original's VERR_INTNET_INCOMPATIBLE_TRUNK).</summary>
    IncompatibleTrunk = -58,

    /// <summary>Joining a network whose policy flags conflict with the open's (the original's VERR_INTNET_INCOMPATIBLE_FLAGS).</summary>
    IncompatibleFlags = -59,

    /// <summary>
    /// The GIP's magic or layout major version is not one this client library reads (a daemon of
    /// another release); the client library's own status, never on the wire.
    /// </summary>
    GipVersionUnknown = -60,
}
