using Microsoft.Extensions.Logging;
using SupHost.Abi;
using SupHost.Driver.Internal;
using SupHost.Driver.Internal.Modules;
using SupHost.Protocol;

namespace SupHost.Driver;

/// <summary>
/// The module loader (LDR_OPEN/LOAD/GET_SYMBOL/FREE/LOCK_DOWN and CALL_SERVICE of the original).
/// A module is opened once and shared, counted per holder; its init runs once, its term once when
/// the last reference goes, and then its collectible load context is unloaded and watched until
/// the garbage collector has really collected it.
/// </summary>
/// <remarks>
/// Two locks: <c>_transition</c> serialises opening, loading and unloading (init and term run
/// under it, so each runs exactly once); <c>_lock</c> guards the tables and is held only briefly,
/// so calls, listings and a module's own callbacks never wait for an init.
/// </remarks>
public sealed partial class ModuleLoader
{
    private readonly DriverOptions _options;
    private readonly ObjectManager _objects;
    private readonly ComponentRegistry _components;
    private readonly MemoryManager _memory;
    private readonly EventManager _events;
    private readonly GipManager _gip;
    private readonly CallDescriptors _descriptors;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly Lock _transition = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LoadedModule> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<ulong, LoadedModule> _byHandle = [];
    private readonly Dictionary<ulong, (LoadedModule Module, string Name, ModuleEntryPoint Entry)> _symbols = [];
    private readonly List<Unloading> _unloading = [];
    private bool _lockedDown;
    private bool _reaperRunning;
    private long _unloaded;
    private long _collected;

    internal ModuleLoader(DriverOptions options, ObjectManager objects, ComponentRegistry components, MemoryManager memory, EventManager events, GipManager gip, CallDescriptors descriptors, ILoggerFactory loggerFactory)
    {
        _descriptors = descriptors;
        _memory = memory;
        _events = events;
        _gip = gip;
        _options = options;
        _objects = objects;
        _components = components;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("SupHost.Modules");
        if (ModuleExceptionHandler.Register(this) is string reason)
        {
            ModuleLog.HandlerUnavailable(_logger, reason);
        }
    }

    /// <summary>The directories searched, in order.</summary>
    public IReadOnlyList<string> Directories => _options.ModuleDirectories;

    /// <summary>The descriptors one module may hold through its I/O.</summary>
    internal int MaxDescriptorsPerModule => _options.MaxDescriptorsPerModule;

    /// <summary>The daemon's run directory (module state lives in its modules/ directory).</summary>
    internal string RunDirectory => _options.RunDirectory;

    /// <summary>The configuration section Supd:Modules:&lt;<paramref name="module"/>&gt; (the name compared without regard to case), or null.</summary>
    internal IReadOnlyDictionary<string, string>? SettingsOf(string module)
    {
        foreach ((string name, IReadOnlyDictionary<string, string> values) in _options.ModuleSettings)
        {
            if (string.Equals(name, module, StringComparison.OrdinalIgnoreCase))
            {
                return values;
            }
        }

        return null;
    }

    /// <summary>Modules open or loaded.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _byName.Count;
            }
        }
    }

    /// <summary>Load contexts unloaded since start.</summary>
    public long Unloaded => Interlocked.Read(ref _unloaded);

    /// <summary>Unloaded load contexts the garbage collector has collected.</summary>
    public long Collected => Interlocked.Read(ref _collected);

    /// <summary>
    /// Told, after each unload, what the module left for the daemon to undo (an in-process host's
    /// leak report; runs on the unloading thread, under the loader's transition lock).
    /// </summary>
    internal Action<ModuleLeftovers>? OnUnloaded { get; set; }

    /// <summary>Whether loading is locked down.</summary>
    public bool IsLockedDown => Volatile.Read(ref _lockedDown);

    /// <summary>Every module, including those whose load context is still being collected.</summary>
    public List<ModuleInfo> Snapshot()
    {
        lock (_lock)
        {
            var list = _byName.Values.OrderBy(m => m.Name, StringComparer.Ordinal).Select(Describe).ToList();
            list.AddRange(_unloading.Select(u => new ModuleInfo
            {
                Name = u.Name,
                Version = u.Version,
                AbiVersion = u.AbiVersion,
                Path = u.Path,
                State = u.Stuck ? "stuck" : "unloading",
                References = [],
                Symbols = [],
                Service = false,
                Objects = 0,
                Factories = 0,
                InitCalls = 0,
                TermCalls = 0,
                Calls = 0,
                FailedCalls = 0,
                SlowCalls = 0,
                HeldBy = u.Stuck
                    ? $"its load context was not collected {u.Since.Elapsed.TotalSeconds:F0} s after unloading: something outside the module still references its code (a static field of a shared assembly, a thread it started, an event it subscribed to)"
                    : "waiting for the garbage collector to collect its load context",
            }));
            return list;
        }
    }

    /// <summary>
    /// LDR_OPEN: finds, checks and opens <paramref name="name"/>, or adds a reference to it when it
    /// is open already. <paramref name="reply"/> says whether it still needs loading.
    /// </summary>
    internal SupStatus Open(IObjectHolder holder, string name, out ModuleOpenReply reply, out string? message) =>
        Open(holder, name, inProcess: null, out reply, out message);

    /// <summary>
    /// LDR_OPEN for a module that lives in the process's default load context, for an in-process
    /// host (SupHost.ModuleTesting): <paramref name="instance"/>, or a new
    /// <paramref name="moduleType"/> made at load, is opened as module <paramref name="name"/> as
    /// if its file had been: the same declaration checks, then the same load, services, calls and
    /// unload, with no load context to collect. <see cref="SupStatus.AlreadyExists"/> when a module
    /// of that name is open.
    /// </summary>
    internal SupStatus OpenInProcess(IObjectHolder holder, string name, Type moduleType, ISupModule? instance, out ModuleOpenReply reply, out string? message) =>
        Open(holder, name, (moduleType, instance), out reply, out message);

    private SupStatus Open(IObjectHolder holder, string name, (Type Type, ISupModule? Instance)? inProcess, out ModuleOpenReply reply, out string? message)
    {
        reply = default;
        message = ModuleName.Check(name);
        if (message is not null)
        {
            return SupStatus.InvalidName;
        }

        lock (_transition)
        {
            lock (_lock)
            {
                // ReleaseAll for an ending session takes this lock after the session is marked:
                // a reference added here is released by it, or refused.
                if (holder.HasEnded)
                {
                    message = $"session {holder.HolderId} has ended; it cannot open module '{name}'";
                    return SupStatus.SessionEnded;
                }

                if (_byName.TryGetValue(name, out LoadedModule? open))
                {
                    if (inProcess is not null)
                    {
                        message = $"a module named '{name}' is open already ({open.Path})";
                        return SupStatus.AlreadyExists;
                    }

                    AddReference(open, holder);
                    reply = new ModuleOpenReply(open.Handle, open.State == ModuleState.Opened, AbiVersionOf(open));
                    return SupStatus.Success;
                }

                if (_lockedDown)
                {
                    message = $"module loading is locked down; '{name}' is not open and cannot be opened";
                    return SupStatus.LockedDown;
                }
            }

            SupStatus status = inProcess is { } given
                ? OpenInProcessNew(name, given.Type, given.Instance, out LoadedModule? module, out message)
                : OpenNew(name, out module, out message);
            if (status != SupStatus.Success)
            {
                return status;
            }

            lock (_lock)
            {
                if (holder.HasEnded)
                {
                    module!.Context?.Unload();
                    message = $"session {holder.HolderId} has ended; it cannot open module '{name}'";
                    return SupStatus.SessionEnded;
                }

                _byName.Add(name, module!);
                _byHandle.Add(module!.Handle, module);
                AddReference(module, holder);
            }

            ModuleLog.Opened(_logger, name, module.Version, module.AbiMajor, module.AbiMinor, module.Path, holder.HolderId);
            reply = new ModuleOpenReply(module.Handle, true, AbiVersionOf(module));
            return SupStatus.Success;
        }
    }

    /// <summary>
    /// LDR_LOAD: runs the module's init once. A second load says <see cref="SupStatus.AlreadyLoaded"/>;
    /// a failed init leaves the module opened and loadable again. <paramref name="pin"/> makes the
    /// daemon hold a reference of its own, so the module outlives the session.
    /// </summary>
    internal SupStatus Load(IObjectHolder holder, ulong handle, bool pin, out string? message)
    {
        message = null;
        lock (_transition)
        {
            LoadedModule? module = Find(holder, handle);
            if (module is null)
            {
                message = NotOpened(handle);
                return SupStatus.InvalidHandle;
            }

            if (module.State == ModuleState.Loaded)
            {
                Pin(module, pin);
                return SupStatus.AlreadyLoaded;
            }

            if (IsLockedDown)
            {
                message = $"module loading is locked down; '{module.Name}' was opened but cannot be loaded";
                return SupStatus.LockedDown;
            }

            SupStatus status = Initialize(module, out message);
            if (status == SupStatus.Success)
            {
                Pin(module, pin);
            }

            return status;
        }
    }

    /// <summary>
    /// LDR_FREE: drops one of <paramref name="holder"/>'s references, and with <paramref name="unpin"/>
    /// the daemon's pin. When none is left the module is terminated and unloaded
    /// (<see cref="SupStatus.ModuleUnloaded"/>), unless objects of its own are still alive.
    /// </summary>
    internal SupStatus Free(IObjectHolder holder, ulong handle, bool unpin, out string? message)
    {
        message = null;
        lock (_transition)
        {
            LoadedModule? module = Find(holder, handle);
            if (module is null)
            {
                message = NotOpened(handle);
                return SupStatus.InvalidHandle;
            }

            lock (_lock)
            {
                DropReference(module, holder, all: false);
                if (unpin)
                {
                    module.References.Remove(DaemonHolder.Instance);
                }
            }

            return TryUnload(module) ? SupStatus.ModuleUnloaded : SupStatus.Success;
        }
    }

    /// <summary>LDR_GET_SYMBOL: the handle of an exported entry point of a loaded module this session holds.</summary>
    internal SupStatus GetSymbol(IObjectHolder holder, ulong handle, string symbol, out ulong symbolHandle, out string? message)
    {
        symbolHandle = 0;
        message = null;
        lock (_lock)
        {
            LoadedModule? module = FindLocked(holder, handle);
            if (module is null)
            {
                message = NotOpened(handle);
                return SupStatus.InvalidHandle;
            }

            if (module.State != ModuleState.Loaded)
            {
                message = $"module '{module.Name}' is opened but not loaded";
                return SupStatus.ModuleNotLoaded;
            }

            if (!module.Symbols.TryGetValue(symbol, out ModuleEntryPoint? entry))
            {
                message = $"module '{module.Name}' exports no entry point '{symbol}' (it has {string.Join(", ", module.Symbols.Keys.Order(StringComparer.Ordinal))})";
                return SupStatus.SymbolNotFound;
            }

            foreach ((ulong existing, (LoadedModule m, string n, _)) in _symbols)
            {
                if (m == module && string.Equals(n, symbol, StringComparison.Ordinal))
                {
                    symbolHandle = existing;
                    return SupStatus.Success;
                }
            }

            symbolHandle = NewHandle(_symbols.ContainsKey);
            _symbols.Add(symbolHandle, (module, symbol, entry));
            return SupStatus.Success;
        }
    }

    /// <summary>Calls the entry point behind <paramref name="symbolHandle"/> for <paramref name="session"/>.</summary>
    internal CallResult Call(Session session, ulong symbolHandle, uint operation, ulong argument, ReadOnlySpan<byte> input, Span<byte> output, ModuleCallDescriptors? descriptors = null)
    {
        LoadedModule module;
        string name;
        ModuleEntryPoint entry;
        lock (_lock)
        {
            if (!_symbols.TryGetValue(symbolHandle, out var symbol) || !symbol.Module.References.ContainsKey(session))
            {
                return CallResult.Fail(SupStatus.InvalidHandle, $"symbol handle 0x{symbolHandle:x16} is not one of a module this session holds");
            }

            (module, name, entry) = symbol;
        }

        return Invoke(module, name, session, operation, argument, input, output, entry, descriptors);
    }

    /// <summary>CALL_SERVICE: a request to the service handler of a module this session opened.</summary>
    internal CallResult CallService(Session session, string name, uint operation, ulong argument, ReadOnlySpan<byte> input, Span<byte> output, ModuleCallDescriptors? descriptors = null)
    {
        LoadedModule? module;
        lock (_lock)
        {
            module = _byName.GetValueOrDefault(name);
            if (module is null || !module.References.ContainsKey(session) || module.ServiceEntry is null)
            {
                return CallResult.Fail(SupStatus.ServiceNotFound, module is null || !module.References.ContainsKey(session)
                    ? $"this session has not opened a module named '{name}'"
                    : module.State != ModuleState.Loaded ? $"module '{name}' is opened but not loaded" : $"module '{name}' does not handle service requests");
            }
        }

        return Invoke(module, "service", session, operation, argument, input, output, module.ServiceEntry!, descriptors);
    }

    /// <summary>LDR_LOCK_DOWN: from now on no module may be opened or loaded. Idempotent.</summary>
    internal SupStatus LockDown(Session session, out string? message)
    {
        message = null;
        if (!_options.AllowLockDown)
        {
            message = "lock-down is disabled by the daemon's configuration (Supd:AllowLockDown)";
            return SupStatus.PermissionDenied;
        }

        if (!Interlocked.Exchange(ref _lockedDown, true))
        {
            ModuleLog.LockedDown(_logger, session.Id, session.ProcessId);
        }

        return SupStatus.Success;
    }

    /// <summary>Drops every module reference <paramref name="holder"/> has (a session ending); returns how many modules it held.</summary>
    internal int ReleaseAll(IObjectHolder holder)
    {
        lock (_transition)
        {
            List<LoadedModule> held;
            lock (_lock)
            {
                held = _byName.Values.Where(m => m.References.ContainsKey(holder)).ToList();
                foreach (LoadedModule module in held)
                {
                    DropReference(module, holder, all: true);
                }
            }

            foreach (LoadedModule module in held)
            {
                TryUnload(module);
            }

            return held.Count;
        }
    }

    /// <summary>
    /// Opens, loads and pins each of <see cref="DriverOptions.StartModules"/> for the daemon itself;
    /// the first that fails throws <see cref="InvalidOperationException"/> naming it and why (the
    /// caller unloads those loaded before it).
    /// </summary>
    internal void LoadStartModules()
    {
        foreach (string name in _options.StartModules)
        {
            SupStatus status = Open(DaemonHolder.Instance, name, out ModuleOpenReply reply, out string? message);
            if (status == SupStatus.Success)
            {
                status = Load(DaemonHolder.Instance, reply.Handle, pin: true, out message);
            }

            if (status.IsError())
            {
                throw new InvalidOperationException($"start module '{name}' could not be loaded: {message ?? status.ToString()} (status {(int)status}, Supd:StartModules)");
            }

            ModuleLog.StartModuleLoaded(_logger, name);
        }
    }

    /// <summary>Drops the daemon's pins, unloading what nobody else holds (the daemon stopping).</summary>
    internal void Shutdown() => ReleaseAll(DaemonHolder.Instance);

    private static string NotOpened(ulong handle) => $"module handle 0x{handle:x16} is not one this session opened";

    /// <summary>
    /// Code of <paramref name="module"/> threw outside a call (<paramref name="source"/>: a worker, a
    /// timer callback, a thread of its own): logged, counted, and the module marked faulted, so its
    /// calls fail with <see cref="SupStatus.ModuleFaulted"/> until it is unloaded and loaded again.
    /// Its workers are cancelled and its timers suspended; nothing here waits, since the caller may
    /// be one of them.
    /// </summary>
    internal void Fault(LoadedModule module, string source, Exception exception)
    {
        long count;
        ModuleHost? host;
        lock (_lock)
        {
            count = ++module.Faults;
            module.Fault ??= $"{source} threw {exception.GetType().Name}: {exception.Message} (at {DateTimeOffset.UtcNow:u})";
            host = module.Host;
        }

        ModuleLog.Faulted(_logger, exception, module.Name, source, count);
        host?.OnFaulted();
    }

    /// <summary>From the process's unhandled-exception handler: faults the module loaded in <paramref name="context"/>, if this loader has it.</summary>
    internal bool FaultFromThread(ModuleLoadContext context, string thread, Exception exception)
    {
        LoadedModule? module;
        lock (_lock)
        {
            module = _byName.Values.FirstOrDefault(m => m.Context == context);
        }

        if (module is null)
        {
            return false;
        }

        Fault(module, $"thread '{thread}' (started by the module itself)", exception);
        return true;
    }

    /// <summary>An unhandled exception in the code of a module that has unloaded already: logged; the thread ends.</summary>
    internal void ReportUnloadedFault(ModuleLoadContext context, string thread, Exception exception) =>
        ModuleLog.FaultOfUnloaded(_logger, exception, thread, context.Name ?? "a module");

    internal void ObjectRegistered(LoadedModule module, SupObject obj)
    {
        lock (_lock)
        {
            module.Objects.Add(obj);
        }
    }

    internal void ObjectDestroyed(LoadedModule module, SupObject obj)
    {
        bool last;
        lock (_lock)
        {
            module.Objects.Remove(obj);
            last = module.Objects.Count == 0 && module.TotalReferences == 0 && _byName.ContainsKey(module.Name);
        }

        if (last)
        {
            // The module may be waiting for its last object; unloading takes the transition lock,
            // which the thread that destroyed the object may hold already, so do it elsewhere.
            ThreadPool.UnsafeQueueUserWorkItem(m => { lock (_transition) { TryUnload(m); } }, module, preferLocal: false);
        }
    }
}
