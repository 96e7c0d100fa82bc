namespace SupHost.Abi;

/// <summary>
/// What the daemon offers a module (the SUPR0 export table and IPRT of the original). Everything a
/// module registers through it is owned by the module and undone when the module unloads.
/// </summary>
public interface IModuleHost
{
    /// <summary>The module's name.</summary>
    string ModuleName { get; }

    /// <summary>The Abi version of the daemon, "major.minor".</summary>
    string AbiVersion { get; }

    /// <summary>The module's own identity, for objects it holds itself rather than for a session.</summary>
    ISessionIdentity Identity { get; }

    /// <summary>Objects and object types.</summary>
    IModuleObjects Objects { get; }

    /// <summary>The component factory registry.</summary>
    IModuleComponents Components { get; }

    /// <summary>Log lines, tagged with the module's name.</summary>
    IModuleLog Log { get; }

    /// <summary>A monotonic nanosecond clock.</summary>
    IModuleClock Clock { get; }

    /// <summary>Periodic and one-shot timers, stopped when the module unloads.</summary>
    IModuleTimers Timers { get; }

    /// <summary>Workers the daemon runs, contains and joins before the module terminates (Abi 1.1).</summary>
    IModuleThreads Threads { get; }

    /// <summary>Event semaphores clients wait on (arrives with the memory and GIP services).</summary>
    IModuleEvents Events { get; }

    /// <summary>Shared memory the clients map (arrives with the memory and GIP services).</summary>
    IModuleMemory Memory { get; }

    /// <summary>Readiness sets, TAP devices, packet and Unix sockets, link settings (Abi 1.1).</summary>
    IModuleIo Io { get; }

    /// <summary>
    /// The module's configuration and state files (Abi 1.2). A host before 1.2 (or one that does not
    /// implement it) answers this default: no settings, no state directory.
    /// </summary>
    IModuleSettings Settings => NoModuleSettings.Instance;
}
