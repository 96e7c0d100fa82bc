using Microsoft.Extensions.Logging;
using SupHost.Abi;
using SupHost.Driver.Internal.Memory;
using SupHost.Protocol;

namespace SupHost.Driver.Internal.Modules;

/// <summary>
/// The services one loaded module gets (<see cref="IModuleHost"/>). Everything the module
/// registers through it is recorded, so that <see cref="Dispose"/> can undo what the module left:
/// timers stopped, factories deregistered, types removed, memory leases ended.
/// </summary>
internal sealed partial class ModuleHost : IModuleHost, IModuleObjects, IModuleComponents, IModuleLog, IModuleClock, IModuleTimers, IModuleThreads, IModuleEvents, IModuleMemory, IDisposable
{
    private readonly ModuleLoader _loader;
    private readonly LoadedModule _module;
    private readonly ObjectManager _objects;
    private readonly ComponentRegistry _components;
    private readonly MemoryManager _memory;
    private readonly EventManager _events;
    private readonly GipManager _gip;
    private readonly CallDescriptors _descriptors;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly List<uint> _types = [];
    private readonly List<ModuleTimer> _timers = [];
    private readonly List<MemoryLease> _leases = [];
    private readonly List<ModuleWorker> _workers = [];
    private bool _disposed;
    private bool _stopping;
    private ModuleSettings? _settings;

    public ModuleHost(ModuleLoader loader, LoadedModule module, ObjectManager objects, ComponentRegistry components, MemoryManager memory, EventManager events, GipManager gip, CallDescriptors descriptors, ILogger logger)
    {
        _descriptors = descriptors;
        _memory = memory;
        _events = events;
        _gip = gip;
        _loader = loader;
        _module = module;
        _objects = objects;
        _components = components;
        _logger = logger;
    }

    public string ModuleName => _module.Name;

    public string AbiVersion => $"{Abi.AbiVersion.Major}.{Abi.AbiVersion.Minor}";

    public ISessionIdentity Identity => _module.Identity;

    public IModuleObjects Objects => this;

    public IModuleComponents Components => this;

    public IModuleLog Log => this;

    public IModuleClock Clock => this;

    public IModuleTimers Timers => this;

    public IModuleThreads Threads => this;

    public IModuleEvents Events => this;

    public IModuleMemory Memory => this;

    public IModuleSettings Settings => _settings ??= new ModuleSettings(_module.Name, _loader.SettingsOf(_module.Name), _loader.RunDirectory);

    ulong IModuleClock.NanoTime => _gip.Clock.NanoTime;

    ulong IModuleClock.Tsc => _gip.Clock.ReadTsc();

    bool IModuleClock.UsesTsc => _gip.Clock.UsesTsc;

    /// <summary>Stops the module's timers (waiting for running callbacks), ends its memory leases, deregisters its factories, removes its types (after <see cref="StopWorkers"/> and the module's Terminate).</summary>
    public void Dispose() => Close();

    /// <summary>As <see cref="Dispose"/>; returns what the module had left to undo (nothing the second time).</summary>
    public ModuleLeftovers Close()
    {
        List<ModuleTimer> timers;
        List<uint> types;
        List<MemoryLease> leases;
        lock (_lock)
        {
            if (_disposed)
            {
                return new ModuleLeftovers(_module.Name);
            }

            _disposed = true;
            timers = [.. _timers];
            types = [.. _types];
            leases = [.. _leases];
            _timers.Clear();
            _types.Clear();
            _leases.Clear();
        }

        foreach (ModuleTimer timer in timers)
        {
            timer.Stop();
        }

        (int handles, int sets) = DisposeIo();

        // A lease the module forgot would keep a freed allocation mapped for the daemon's life.
        if (leases.Count > 0)
        {
            MemoryLog.LeasesLeft(_logger, _module.Name, leases.Count);
            foreach (IModuleMemoryLease lease in leases)
            {
                lease.Dispose();
            }
        }

        int factories = _components.RemoveOwnedBy(_module.Owner);
        foreach (uint type in types)
        {
            _objects.RemoveType(type);
        }

        return new ModuleLeftovers(_module.Name)
        {
            Timers = timers.Count,
            Leases = leases.Count,
            IoHandles = handles,
            ReadinessSets = sets,
            Factories = factories,
        };
    }

    void IModuleLog.Write(ModuleLogLevel level, string message, Exception? exception)
    {
        LogLevel mapped = level switch
        {
            ModuleLogLevel.Debug => LogLevel.Debug,
            ModuleLogLevel.Information => LogLevel.Information,
            ModuleLogLevel.Warning => LogLevel.Warning,
            _ => LogLevel.Error,
        };
        ModuleLog.Line(_logger, mapped, exception, _module.Name, message);
    }

    IDisposable IModuleTimers.Start(TimeSpan dueTime, TimeSpan period, Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new ModuleTimer(_module.Name, callback, _logger, ex => _loader.Fault(_module, "a timer callback", ex));
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _timers.Add(timer);
        }

        timer.Start(dueTime, period, t =>
        {
            lock (_lock)
            {
                _timers.Remove(t);
            }
        });
        return timer;
    }

    IModuleWorker IModuleThreads.Start(string name, Action<CancellationToken> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (string.IsNullOrEmpty(name) || name.Length > 32)
        {
            throw new ArgumentException($"a worker's name must have 1 to 32 characters; '{name}' has {name?.Length ?? 0}", nameof(name));
        }

        var worker = new ModuleWorker(
            _module.Name,
            name,
            body,
            (w, ex) => _loader.Fault(_module, $"worker '{w.Name}'", ex),
            w =>
            {
                lock (_lock)
                {
                    _workers.Remove(w);
                }
            });
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed || _stopping, this);
            if (_module.Fault is not null)
            {
                throw new InvalidOperationException($"module '{_module.Name}' is faulted; it starts no new workers until it is loaded again");
            }

            _workers.Add(worker);
        }

        worker.Start();
        return worker;
    }

    /// <summary>The module faulted: its workers are told to stop and its timers fire no more (nothing here waits: the caller may be one of them).</summary>
    public void OnFaulted()
    {
        List<ModuleWorker> workers;
        List<ModuleTimer> timers;
        lock (_lock)
        {
            workers = [.. _workers];
            timers = [.. _timers];
        }

        foreach (ModuleWorker worker in workers)
        {
            worker.Cancel();
        }

        foreach (ModuleTimer timer in timers)
        {
            timer.Suspend();
        }
    }

    /// <summary>
    /// Before the module's Terminate: cancels every worker and joins each for what is left of
    /// <paramref name="timeout"/>; returns the names of those still running (logged by the caller).
    /// </summary>
    public List<string> StopWorkers(TimeSpan timeout)
    {
        List<ModuleWorker> workers;
        lock (_lock)
        {
            _stopping = true;
            workers = [.. _workers];
        }

        foreach (ModuleWorker worker in workers)
        {
            worker.Cancel();
        }

        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        List<string> running = [];
        foreach (ModuleWorker worker in workers)
        {
            if (!worker.CancelAndJoin(TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64))))
            {
                running.Add(worker.Name);
            }
        }

        return running;
    }

    Memory<byte> IModuleMemory.View(ISessionIdentity holder, ulong handle) =>
        _memory.View(Holder(holder), handle, _module.Name);

    int IModuleMemory.Lease(ISessionIdentity holder, ulong handle, long offset, int length, bool writable, out IModuleMemoryLease? lease)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
        }

        SupStatus status = _memory.Lease(Holder(holder), handle, offset, length, writable, _module.Name, LeaseEnded, out MemoryLease? taken, out _);
        if (taken is not null)
        {
            bool disposed;
            lock (_lock)
            {
                disposed = _disposed;
                if (!disposed)
                {
                    _leases.Add(taken);
                }
            }

            if (disposed)
            {
                ((IModuleMemoryLease)taken).Dispose();
                throw new ObjectDisposedException(nameof(ModuleHost));
            }
        }

        lease = taken;
        return (int)status;
    }

    int IModuleMemory.Allocate(ISessionIdentity session, int pages, out ulong handle, out ModuleDescriptor? descriptor)
    {
        handle = 0;
        descriptor = null;
        Session client = ClientSession(session);
        ArgumentOutOfRangeException.ThrowIfNegative(pages);
        SupStatus status = _memory.Allocate(client, (uint)pages, lockPages: false, out SupObject? obj, out string? message);
        if (status != SupStatus.Success)
        {
            ModuleLog.MadeForSessionFailed(_logger, _module.Name, "memory", client.Id, (int)status, message);
            return (int)status;
        }

        return HandOut(client, obj!, ((MemoryBlock)obj!.Payload!).Fd, "memory", out handle, out descriptor);
    }

    int IModuleMemory.Free(ISessionIdentity session, ulong handle) => (int)_memory.Free(ClientSession(session), handle, out _);

    /// <summary>
    /// The object <paramref name="obj"/> made for <paramref name="client"/> and a duplicate of its
    /// descriptor; without the duplicate (the budget, EMFILE) the object is released again, so the
    /// module gets both or neither.
    /// </summary>
    private int HandOut(Session client, SupObject obj, SupHost.Native.SafeFd fd, string what, out ulong handle, out ModuleDescriptor? descriptor)
    {
        handle = 0;
        SupStatus status = _descriptors.Duplicate(client, fd, out descriptor, out string? message);
        if (status != SupStatus.Success)
        {
            _objects.Release(client, obj.Handle);
            ModuleLog.MadeForSessionFailed(_logger, _module.Name, what, client.Id, (int)status, message);
            return (int)status;
        }

        handle = obj.Handle;
        ModuleLog.MadeForSession(_logger, _module.Name, what, obj.Handle, client.Id, client.ProcessId);
        return 0;
    }

    private static Session ClientSession(ISessionIdentity identity) => identity as Session
        ?? throw new ArgumentException("the identity is not a client session of this daemon (resources are made for the session a call came from)", nameof(identity));

    private void LeaseEnded(MemoryLease lease)
    {
        lock (_lock)
        {
            _leases.Remove(lease);
        }
    }

    ulong IModuleComponents.Register(IComponentFactory factory)
    {
        SupStatus status = _components.Register(factory, _module.Owner, out FactoryRegistration? registration);
        return status == SupStatus.Success
            ? registration!.Id
            : throw new InvalidOperationException($"registering factory '{factory?.Name}' failed: {status}");
    }

    bool IModuleComponents.Deregister(ulong factoryId) => _components.Deregister(factoryId, _module.Owner) == SupStatus.Success;

    object? IModuleComponents.Query(string name, Guid interfaceId) => ((IModuleComponents)this).Query(name, interfaceId, includeClientFactories: false);

    object? IModuleComponents.Query(string name, Guid interfaceId, bool includeClientFactories) =>
        _components.Query(name, interfaceId, modulesOnly: !includeClientFactories, out _, out object? implementation) == SupStatus.Success ? implementation : null;
}
