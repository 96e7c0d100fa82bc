namespace SupHost.Protocol;

/// <summary>
/// Built-in object types (the SUPDRVOBJTYPE values of the original). Types from
/// <see cref="FirstModuleType"/> up are defined by modules at run time.
/// </summary>
public enum ObjectTypeId : uint
{
    /// <summary>Never valid.</summary>
    Invalid = 0,

    /// <summary>A virtual machine; creatable by clients.</summary>
    Vm = 1,

    /// <summary>An internal network (IntNet).</summary>
    InternalNetwork = 2,

    /// <summary>An interface on an internal network.</summary>
    InternalNetworkInterface = 3,

    /// <summary>An auto-reset event semaphore.</summary>
    EventSemaphore = 4,

    /// <summary>A manual-reset event semaphore.</summary>
    EventMultiSemaphore = 5,

    /// <summary>A shared memory allocation.</summary>
    Memory = 6,

    /// <summary>The first id handed to a module-defined type.</summary>
    FirstModuleType = 0x1000,
}
