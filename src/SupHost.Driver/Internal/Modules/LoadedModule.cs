using System.Reflection;
using SupHost.Abi;

namespace SupHost.Driver.Internal.Modules;

/// <summary>
/// A module the daemon has opened: its load context, its state, who holds it, and its counters.
/// Mutable state is guarded by the loader's lock.
/// </summary>
internal sealed class LoadedModule
{
    public LoadedModule(string name, string path, ulong handle, ModuleLoadContext? context, Assembly assembly, Type moduleType, int abiMajor, int abiMinor)
    {
        Name = name;
        Path = path;
        Handle = handle;
        Context = context;
        Assembly = assembly;
        ModuleType = moduleType;
        AbiMajor = abiMajor;
        AbiMinor = abiMinor;
        Version = assembly.GetName().Version?.ToString() ?? "0.0.0.0";
        Identity = new ModuleIdentity(name);
        Owner = new FactoryOwner($"module {name}", 0, Identity);
    }

    public string Name { get; }

    public string Path { get; }

    public ulong Handle { get; }

    public string Version { get; }

    public int AbiMajor { get; }

    public int AbiMinor { get; }

    /// <summary>The module's collectible load context; null for a module of the default context (an in-process host's).</summary>
    public ModuleLoadContext? Context { get; }

    /// <summary>The instance an in-process host gave for the module, initialised in place of a new one of <see cref="ModuleType"/>.</summary>
    public ISupModule? Supplied { get; init; }

    public Assembly Assembly { get; }

    public Type ModuleType { get; }

    public FactoryOwner Owner { get; }

    /// <summary>The holder for objects the module keeps for itself.</summary>
    public ModuleIdentity Identity { get; }

    public ModuleState State { get; set; } = ModuleState.Opened;

    public ISupModule? Instance { get; set; }

    /// <summary>The service handler, bound once at load, when the module has one.</summary>
    public ModuleEntryPoint? ServiceEntry { get; set; }

    public ModuleHost? Host { get; set; }

    public Dictionary<string, ModuleEntryPoint> Symbols { get; } = new(StringComparer.Ordinal);

    /// <summary>References per holder; the daemon's pin is held by <see cref="DaemonHolder.Instance"/>.</summary>
    public Dictionary<IObjectHolder, int> References { get; } = [];

    /// <summary>Live objects registered through the module's host (their code or payload may be the module's).</summary>
    public HashSet<SupObject> Objects { get; } = [];

    public int InitCalls { get; set; }

    public int TermCalls { get; set; }

    public long Calls;

    public long FailedCalls;

    public long SlowCalls;

    public string? LastSlowCall { get; set; }

    /// <summary>Why the module is faulted (the first fault), or null; written once, under the loader's lock.</summary>
    public string? Fault { get; set; }

    /// <summary>Exceptions of its own code outside calls (workers, timers, its own threads) in this load.</summary>
    public long Faults;

    public int TotalReferences => References.Values.Sum();
}
