using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using SupHost.Abi;
using SupHost.Driver.Internal;
using SupHost.Driver.Internal.Modules;
using SupHost.Protocol;

namespace SupHost.Driver;

// Opening, initialising, calling and unloading one module.
public sealed partial class ModuleLoader
{
    private SupStatus OpenNew(string name, out LoadedModule? module, out string? message)
    {
        module = null;

        // Find the file: <dir>/<name>/<name>.dll, first directory wins.
        string? directory = _options.ModuleDirectories.FirstOrDefault(d => File.Exists(Path.Combine(d, name, name + ".dll")));
        if (directory is null)
        {
            message = $"no module '{name}' in {string.Join(", ", _options.ModuleDirectories)} (looked for {name}/{name}.dll)";
            return SupStatus.ModuleNotFound;
        }

        string moduleDir = Path.Combine(directory, name);
        string path = Path.Combine(moduleDir, name + ".dll");

        // Nobody but root (or the daemon's user) may have been able to change what we load, from
        // / down, and what is loaded is the bytes read from the descriptor that was checked.
        message = ModuleTrust.ReadVerified(directory, path, out byte[]? image);
        string depsJson = Path.Combine(moduleDir, name + ".deps.json");
        if (message is null && File.Exists(depsJson))
        {
            // The dependency resolver reads it by name; it must be as trusted as the module.
            message = ModuleTrust.ReadVerified(directory, depsJson, out _);
        }

        if (message is not null)
        {
            return SupStatus.UnsafeModulePath;
        }

        var context = new ModuleLoadContext(name, path, directory);
        try
        {
            Assembly assembly;
            try
            {
                using var stream = new MemoryStream(image!, writable: false);
                assembly = context.LoadFromStream(stream);
            }
            catch (Exception ex) when (ex is BadImageFormatException or FileLoadException or IOException)
            {
                message = $"{path} is not a loadable .NET assembly: {ex.Message}";
                return SupStatus.InvalidModule;
            }

            SupStatus status = Verify(name, path, assembly, out Type? moduleType, out int abiMajor, out int abiMinor, out message);
            if (status != SupStatus.Success)
            {
                return status;
            }

            lock (_lock)
            {
                module = new LoadedModule(name, path, NewHandle(_byHandle.ContainsKey), context, assembly, moduleType!, abiMajor, abiMinor);
            }

            return SupStatus.Success;
        }
        finally
        {
            if (module is null)
            {
                context.Unload();
            }
        }
    }

    /// <summary>
    /// A module of the default load context, for an in-process host: the checks <see cref="Verify"/>
    /// makes of a file's declaration, made on the type. Its Abi version is the one its assembly's
    /// [SupModule] records when that names this type, else the Abi of this process (the module was
    /// compiled into it).
    /// </summary>
    private SupStatus OpenInProcessNew(string name, Type moduleType, ISupModule? instance, out LoadedModule? module, out string? message)
    {
        module = null;
        if (instance is not null && instance.GetType() != moduleType)
        {
            message = $"module '{name}': the instance is a {instance.GetType().FullName}, not a {moduleType.FullName}";
            return SupStatus.InvalidModule;
        }

        if (!typeof(ISupModule).IsAssignableFrom(moduleType) || moduleType.IsAbstract || (instance is null && moduleType.GetConstructor(Type.EmptyTypes) is null))
        {
            message = $"module '{name}': {moduleType.FullName} must be a concrete class implementing ISupModule{(instance is null ? " with a public parameterless constructor" : string.Empty)}";
            return SupStatus.InvalidModule;
        }

        SupModuleAttribute? declaration = moduleType.Assembly.GetCustomAttribute<SupModuleAttribute>();
        (int abiMajor, int abiMinor) = declaration?.ModuleType == moduleType ? (declaration.AbiMajor, declaration.AbiMinor) : (AbiVersion.Major, AbiVersion.Minor);
        if (!Acceptable(abiMajor, abiMinor))
        {
            message = $"module '{name}' was built against SupHost.Abi {abiMajor}.{abiMinor}; this daemon offers {AbiVersion.Major}.{AbiVersion.Minor}";
            return SupStatus.ModuleVersionMismatch;
        }

        lock (_lock)
        {
            module = new LoadedModule(name, $"in process: {moduleType.FullName} of {moduleType.Assembly.GetName().Name}", NewHandle(_byHandle.ContainsKey), null, moduleType.Assembly, moduleType, abiMajor, abiMinor)
            {
                Supplied = instance,
            };
        }

        message = null;
        return SupStatus.Success;
    }

    /// <summary>Checks the module's declaration and the Abi version it was built against, without running its code.</summary>
    private static SupStatus Verify(string name, string path, Assembly assembly, out Type? moduleType, out int abiMajor, out int abiMinor, out string? message)
    {
        moduleType = null;
        abiMajor = abiMinor = 0;
        CustomAttributeData? declaration;
        try
        {
            declaration = assembly.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType == typeof(SupModuleAttribute));
        }
        catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or TypeLoadException or BadImageFormatException)
        {
            message = $"{path} cannot be inspected: {ex.Message}";
            return SupStatus.InvalidModule;
        }

        if (declaration is null || declaration.ConstructorArguments.Count != 4)
        {
            message = $"{path} has no [assembly: SupModule(...)] declaration; it is not a SupHost module";
            return SupStatus.InvalidModule;
        }

        string declared = (string)declaration.ConstructorArguments[0].Value!;
        moduleType = declaration.ConstructorArguments[1].Value as Type;
        abiMajor = (int)declaration.ConstructorArguments[2].Value!;
        abiMinor = (int)declaration.ConstructorArguments[3].Value!;
        // Two claims of the Abi version the module was built against: its declaration (whose
        // defaults the compiler filled in from the Abi it compiled with) and its reference to the
        // SupHost.Abi assembly. Either one out of range refuses the module.
        Version? referenced = assembly.GetReferencedAssemblies().FirstOrDefault(a => string.Equals(a.Name, typeof(ISupModule).Assembly.GetName().Name, StringComparison.Ordinal))?.Version;
        if (referenced is not null && Acceptable(abiMajor, abiMinor) && !Acceptable(referenced.Major, referenced.Minor))
        {
            abiMajor = referenced.Major;
            abiMinor = referenced.Minor;
        }

        if (!Acceptable(abiMajor, abiMinor))
        {
            message = $"module '{name}' was built against SupHost.Abi {abiMajor}.{abiMinor}; this daemon offers {AbiVersion.Major}.{AbiVersion.Minor}" +
                (abiMajor != AbiVersion.Major ? " (the major must match)" : " (a newer minor needs a newer daemon)");
            return SupStatus.ModuleVersionMismatch;
        }

        if (!string.Equals(declared, name, StringComparison.Ordinal))
        {
            message = $"{path} declares module '{declared}' but is installed as '{name}'";
            return SupStatus.InvalidModule;
        }

        if (moduleType is null || !typeof(ISupModule).IsAssignableFrom(moduleType) || moduleType.IsAbstract || moduleType.GetConstructor(Type.EmptyTypes) is null)
        {
            message = $"module '{name}': {moduleType?.FullName ?? "its module type"} must be a concrete class implementing ISupModule with a public parameterless constructor";
            return SupStatus.InvalidModule;
        }

        message = null;
        return SupStatus.Success;
    }

    private static bool Acceptable(int major, int minor) => major == AbiVersion.Major && minor <= AbiVersion.Minor;

    /// <summary>Creates the module's instance, binds its entry points and runs its init (under the transition lock).</summary>
    private SupStatus Initialize(LoadedModule module, out string? message)
    {
        var symbols = new Dictionary<string, ModuleEntryPoint>(StringComparer.Ordinal);
        var host = new ModuleHost(this, module, _objects, _components, _memory, _events, _gip, _descriptors, _loggerFactory.CreateLogger($"SupHost.Module.{module.Name}"));
        ISupModule? instance = null;
        lock (_lock)
        {
            module.InitCalls++;
        }

        try
        {
            instance = module.Supplied ?? (ISupModule)Activator.CreateInstance(module.ModuleType)!;
            message = BindEntryPoints(module, instance, symbols);
            if (message is not null)
            {
                host.Dispose();
                return SupStatus.InvalidModule;
            }

            instance.Initialize(host);
        }
        catch (Exception ex)
        {
            Exception cause = ex is TargetInvocationException { InnerException: { } inner } ? inner : ex;
            ModuleLog.InitFailed(_logger, cause, module.Name);

            // Workers an init started before it threw stop with it, as at unload.
            List<string> running = host.StopWorkers(_options.UnloadTimeout);
            if (running.Count > 0)
            {
                ModuleLog.WorkersDidNotStop(_logger, module.Name, string.Join(", ", running), _options.UnloadTimeout.TotalSeconds);
            }

            host.Dispose();
            message = $"init of module '{module.Name}' failed: {cause.GetType().Name}: {cause.Message}";
            return SupStatus.ModuleInitFailed;
        }

        lock (_lock)
        {
            module.Instance = instance;
            module.ServiceEntry = instance is ISupServiceModule service ? service.HandleServiceRequest : null;
            module.Host = host;
            foreach ((string name, ModuleEntryPoint entry) in symbols)
            {
                module.Symbols.Add(name, entry);
            }

            module.State = ModuleState.Loaded;
        }

        ModuleLog.Loaded(_logger, module.Name, symbols.Count);
        message = null;
        return SupStatus.Success;
    }

    private static string? BindEntryPoints(LoadedModule module, ISupModule instance, Dictionary<string, ModuleEntryPoint> symbols)
    {
        foreach (MethodInfo method in module.ModuleType.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance))
        {
            SupEntryPointAttribute? export = method.GetCustomAttribute<SupEntryPointAttribute>();
            if (export is null)
            {
                continue;
            }

            string name = export.Name ?? method.Name;
            ParameterInfo[] parameters = method.GetParameters();
            if (method.ReturnType != typeof(int) || parameters.Length != 1 || parameters[0].ParameterType != typeof(ModuleCall).MakeByRefType())
            {
                return $"module '{module.Name}': entry point {name} must be 'int {method.Name}(ref ModuleCall call)'";
            }

            if (NameField.Check(name) is string bad)
            {
                return $"module '{module.Name}': entry point {bad}";
            }

            if (!symbols.TryAdd(name, (ModuleEntryPoint)Delegate.CreateDelegate(typeof(ModuleEntryPoint), method.IsStatic ? null : instance, method)))
            {
                return $"module '{module.Name}' exports '{name}' twice";
            }
        }

        return null;
    }

    private CallResult Invoke(LoadedModule module, string symbol, Session session, uint operation, ulong argument, ReadOnlySpan<byte> input, Span<byte> output, ModuleEntryPoint entry, ModuleCallDescriptors? descriptors)
    {
        CallResult result = InvokeEntry(module, symbol, session, operation, argument, input, output, entry, descriptors);
        if (descriptors is null)
        {
            return result;
        }

        // What the request carried and the module did not take is closed now, and counted.
        _descriptors.CloseUnclaimed(descriptors);
        if (descriptors.Reply.Count == 0)
        {
            return result;
        }

        // The reply's descriptors go only with a success, and only if the daemon issued each.
        string? refusal = result.Status.IsError() ? null : _descriptors.CheckReply(descriptors);
        if (result.Status.IsError() || refusal is not null)
        {
            descriptors.CloseAll();
            return refusal is null
                ? result
                : CallResult.Fail(SupStatus.DescriptorNotTransferable, $"{module.Name}.{symbol}: {refusal}; the reply's {descriptors.Reply.Count} descriptors were closed");
        }

        return result with { Transfer = descriptors };
    }

    /// <summary>The message of a module's negative status: its own words when it gave some (at most 1024 characters).</summary>
    private static string FailureMessage(string module, string symbol, int status, string? message) =>
        string.IsNullOrEmpty(message)
            ? $"{module}.{symbol} returned status {status}"
            : $"{module}.{symbol}: {(message.Length > 1024 ? message[..1024] : message)}";

    private CallResult InvokeEntry(LoadedModule module, string symbol, Session session, uint operation, ulong argument, ReadOnlySpan<byte> input, Span<byte> output, ModuleEntryPoint entry, ModuleCallDescriptors? descriptors)
    {
        Interlocked.Increment(ref module.Calls);
        if (module.Fault is string fault)
        {
            Interlocked.Increment(ref module.FailedCalls);
            return CallResult.Fail(SupStatus.ModuleFaulted, $"module '{module.Name}' is faulted: {fault}; unload it (every holder frees it) and load it again");
        }

        var call = new ModuleCall(session, operation, argument, input, output) { Cancellation = session.Closing, DescriptorSet = descriptors };

        // The slow-call check needs milliseconds, not a precise clock: the coarse tick costs a
        // fraction of a Stopwatch read on every call.
        long start = Environment.TickCount64;

        // A module's event wait on this thread ends with WaitCancelled once the call is cancelled.
        using ModuleHost.CallCancellationScope scope = ModuleHost.EnterCall(call.Cancellation);
        try
        {
            // The module's status travels as its own (HeaderFlags.ModuleStatus), whatever its
            // number: a module's -14 is not the daemon's InvalidHandle.
            int status = entry(ref call);
            return status < 0
                ? CallResult.Fail((SupStatus)status, FailureMessage(module.Name, symbol, status, call.Message)) with { FromModule = true }
                : new CallResult((SupStatus)status, call.OutputLength, null, FromModule: true);
        }
        catch (Exception ex)
        {
            Interlocked.Increment(ref module.FailedCalls);
            ModuleLog.CallFailed(_logger, ex, module.Name, symbol, session.Id, session.ProcessId);
            return CallResult.Fail(SupStatus.ModuleCallFailed, $"{module.Name}.{symbol} threw {ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            TimeSpan elapsed = TimeSpan.FromMilliseconds(Environment.TickCount64 - start);
            if (elapsed > _options.SlowCallThreshold)
            {
                Interlocked.Increment(ref module.SlowCalls);
                lock (_lock)
                {
                    module.LastSlowCall = $"{symbol} {elapsed.TotalMilliseconds:F0} ms at {DateTimeOffset.UtcNow:u}";
                }

                ModuleLog.SlowCall(_logger, module.Name, symbol, (long)elapsed.TotalMilliseconds, session.Id, session.ProcessId, (long)_options.SlowCallThreshold.TotalMilliseconds);
            }
        }
    }

    /// <summary>
    /// Unloads <paramref name="module"/> if nothing holds it any more (under the transition lock):
    /// term, the module's own objects released, its services undone, its load context unloaded and
    /// watched. Objects of the module that sessions still hold keep it loaded, untouched.
    /// </summary>
    private bool TryUnload(LoadedModule module)
    {
        SupObject[] objects;
        lock (_lock)
        {
            if (module.TotalReferences > 0 || !_byName.TryGetValue(module.Name, out LoadedModule? current) || current != module)
            {
                return false;
            }

            objects = [.. module.Objects];
        }

        int heldByOthers = objects.Count(o => _objects.IsHeldByOthers(o, module.Identity));
        if (heldByOthers > 0)
        {
            ModuleLog.HeldByObjects(_logger, module.Name, heldByOthers);
            return false;
        }

        List<string> running = [];
        string? termFailure = null;
        if (module.State == ModuleState.Loaded)
        {
            lock (_lock)
            {
                module.TermCalls++;
            }

            // Workers first: Terminate must not race code of the module still running, and a
            // worker that outlives its module would keep the load context alive.
            running = module.Host?.StopWorkers(_options.UnloadTimeout) ?? [];
            if (running.Count > 0)
            {
                ModuleLog.WorkersDidNotStop(_logger, module.Name, string.Join(", ", running), _options.UnloadTimeout.TotalSeconds);
            }

            try
            {
                module.Instance!.Terminate();
            }
            catch (Exception ex)
            {
                termFailure = $"{ex.GetType().Name}: {ex.Message}";
                ModuleLog.TermFailed(_logger, ex, module.Name);
            }
        }

        module.Identity.MarkEnded();
        int ownObjects = _objects.CountHeldBy(module.Identity);
        _objects.ReleaseAll(module.Identity);
        ModuleLeftovers leftovers = (module.Host?.Close() ?? new ModuleLeftovers(module.Name)) with
        {
            WorkersNotStopped = running,
            TerminateFailure = termFailure,
            OwnObjects = ownObjects,
        };
        lock (_lock)
        {
            _byName.Remove(module.Name);
            _byHandle.Remove(module.Handle);
            foreach (ulong handle in _symbols.Where(s => s.Value.Module == module).Select(s => s.Key).ToList())
            {
                _symbols.Remove(handle);
            }

            module.Symbols.Clear();
            module.Instance = null;
            module.ServiceEntry = null;
            module.Host = null;
            if (module.Context is not null)
            {
                _unloading.Add(new Unloading(module.Name, module.Version, $"{module.AbiMajor}.{module.AbiMinor}", module.Path, new WeakReference(module.Context), Stopwatch.StartNew()));
                _unloaded++;
                StartReaper();
            }
        }

        // A module of the default context (an in-process host's) has no load context to unload.
        module.Context?.Unload();
        ModuleLog.Unloaded(_logger, module.Name);
        OnUnloaded?.Invoke(leftovers);
        return true;
    }

    /// <summary>Collects until every unloaded context is gone, reporting those that outlive the timeout.</summary>
    private void StartReaper()
    {
        if (_reaperRunning)
        {
            return;
        }

        _reaperRunning = true;
        _ = Task.Run(async () =>
        {
            while (true)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
                lock (_lock)
                {
                    for (int i = _unloading.Count - 1; i >= 0; i--)
                    {
                        Unloading u = _unloading[i];
                        if (!u.Context.IsAlive)
                        {
                            _unloading.RemoveAt(i);
                            _collected++;
                        }
                        else if (!u.Stuck && u.Since.Elapsed > _options.UnloadTimeout)
                        {
                            _unloading[i] = u with { Stuck = true };
                            ModuleLog.Stuck(_logger, u.Name, _options.UnloadTimeout.TotalSeconds);
                        }
                    }

                    if (_unloading.Count == 0)
                    {
                        _reaperRunning = false;
                        return;
                    }
                }

                // A stuck context is retried now and then; a fresh one every few milliseconds.
                await Task.Delay(_unloading.TrueForAll(u => u.Stuck) ? 1000 : 200).ConfigureAwait(false);
            }
        });
    }

    private void Pin(LoadedModule module, bool pin)
    {
        if (pin)
        {
            lock (_lock)
            {
                module.References[DaemonHolder.Instance] = 1;
            }
        }
    }

    private LoadedModule? Find(IObjectHolder holder, ulong handle)
    {
        lock (_lock)
        {
            return FindLocked(holder, handle);
        }
    }

    private LoadedModule? FindLocked(IObjectHolder holder, ulong handle) =>
        _byHandle.TryGetValue(handle, out LoadedModule? module) && module.References.ContainsKey(holder) ? module : null;

    private static void AddReference(LoadedModule module, IObjectHolder holder) =>
        module.References[holder] = module.References.GetValueOrDefault(holder) + 1;

    private static void DropReference(LoadedModule module, IObjectHolder holder, bool all)
    {
        int count = module.References.GetValueOrDefault(holder);
        if (all || count <= 1)
        {
            module.References.Remove(holder);
        }
        else
        {
            module.References[holder] = count - 1;
        }
    }

    private static uint AbiVersionOf(LoadedModule module) => ((uint)module.AbiMajor << 16) | (uint)module.AbiMinor;

    private static ulong NewHandle(Func<ulong, bool> taken)
    {
        Span<byte> bytes = stackalloc byte[8];
        ulong handle;
        do
        {
            RandomNumberGenerator.Fill(bytes);
            handle = BitConverter.ToUInt64(bytes);
        }
        while (handle == 0 || taken(handle));
        return handle;
    }

    private ModuleInfo Describe(LoadedModule m) => new()
    {
        Name = m.Name,
        Version = m.Version,
        AbiVersion = $"{m.AbiMajor}.{m.AbiMinor}",
        Path = m.Path,
        State = m.Fault is not null ? "faulted" : m.State == ModuleState.Loaded ? "loaded" : "opened",
        References = m.References.Select(r => new ObjectUsageInfo(r.Key.HolderId, r.Value)).OrderBy(r => r.SessionId).ToList(),
        Symbols = m.Symbols.Keys.Order(StringComparer.Ordinal).ToList(),
        Service = m.Instance is ISupServiceModule,
        Objects = m.Objects.Count,
        Factories = _components.CountOwnedBy(m.Owner),
        InitCalls = m.InitCalls,
        TermCalls = m.TermCalls,
        Calls = Interlocked.Read(ref m.Calls),
        FailedCalls = Interlocked.Read(ref m.FailedCalls),
        SlowCalls = Interlocked.Read(ref m.SlowCalls),
        LastSlowCall = m.LastSlowCall,
        Fault = m.Fault,
        Faults = Interlocked.Read(ref m.Faults),
        HeldBy = m.TotalReferences == 0 && m.Objects.Count > 0 ? $"{m.Objects.Count} objects of the module are alive" : null,
    };

    private sealed record Unloading(string Name, string Version, string AbiVersion, string Path, WeakReference Context, Stopwatch Since, bool Stuck = false);
}
