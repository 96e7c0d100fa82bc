namespace SupHost.Protocol;

/// <summary>Function codes: what a request asks for. Values are stable and never reused.</summary>
public enum SupFunction : uint
{
    /// <summary>Never valid.</summary>
    Invalid = 0,

    /// <summary>The handshake; must be the first request on a connection.</summary>
    Cookie = 1,

    /// <summary>Does nothing: measures the round trip.</summary>
    Nop = 2,

    /// <summary>Daemon status: version, uptime, counts (JSON reply).</summary>
    QueryStatus = 3,

    /// <summary>Every session (JSON reply).</summary>
    ListSessions = 4,

    /// <summary>Every object (JSON reply).</summary>
    ListObjects = 5,

    /// <summary>Every component factory (JSON reply).</summary>
    ListFactories = 6,

    /// <summary>Register an object of a client-creatable type.</summary>
    ObjectRegister = 10,

    /// <summary>Open a named object, adding a reference for this session.</summary>
    ObjectOpen = 11,

    /// <summary>Add a reference to an object this session holds.</summary>
    ObjectAddRef = 12,

    /// <summary>Release one of this session's references.</summary>
    ObjectRelease = 13,

    /// <summary>Register a named component factory owned by this session.</summary>
    FactoryRegister = 20,

    /// <summary>Deregister a factory this session registered.</summary>
    FactoryDeregister = 21,

    /// <summary>Find a factory by name and interface id.</summary>
    FactoryQuery = 22,

    /// <summary>Open a module by name, adding a reference for this session (LDR_OPEN).</summary>
    ModuleOpen = 30,

    /// <summary>Run an opened module's init once (LDR_LOAD); optionally pin it in the daemon.</summary>
    ModuleLoad = 31,

    /// <summary>Drop this session's reference (LDR_FREE); optionally the daemon's pin too.</summary>
    ModuleFree = 32,

    /// <summary>Resolve an exported entry point by name (LDR_GET_SYMBOL).</summary>
    ModuleGetSymbol = 33,

    /// <summary>Call an entry point resolved with <see cref="ModuleGetSymbol"/>.</summary>
    ModuleCall = 34,

    /// <summary>Send a service request to a module by name (CALL_SERVICE).</summary>
    ModuleCallService = 35,

    /// <summary>Stop any new module from being opened or loaded, for the daemon's life (LDR_LOCK_DOWN).</summary>
    ModuleLockDown = 36,

    /// <summary>Every module, its state and who holds it (JSON reply).</summary>
    ListModules = 37,

    /// <summary>Allocate shared pages (SUPR3PageAllocEx); the reply carries the memory's descriptor.</summary>
    PageAlloc = 40,

    /// <summary>Free an allocation (PAGE_FREE).</summary>
    PageFree = 41,

    /// <summary>Lock an allocation's pages in RAM, or unlock them (PAGE_LOCK/UNLOCK).</summary>
    PageLock = 42,

    /// <summary>Change the protection of pages of an allocation in the daemon's mapping (PAGE_PROTECT).</summary>
    PageProtect = 43,

    /// <summary>Every allocation by session (JSON reply).</summary>
    ListMemory = 44,

    /// <summary>Create an event semaphore (SUPSemEventCreate / SUPSemEventMultiCreate); the reply carries its eventfd.</summary>
    EventCreate = 50,

    /// <summary>Signal an event this session holds (clients usually write the eventfd directly).</summary>
    EventSignal = 51,

    /// <summary>Reset an event this session holds to non-signalled.</summary>
    EventReset = 52,

    /// <summary>Close an event: the session drops every reference it holds.</summary>
    EventClose = 53,

    /// <summary>Map the GIP (SUPR3GipMap): the reply carries a read-only descriptor of it. Restricted sessions may.</summary>
    GipMap = 60,

    /// <summary>Drop this session's GIP mapping (the daemon stops updating when nobody maps it).</summary>
    GipUnmap = 61,
}
