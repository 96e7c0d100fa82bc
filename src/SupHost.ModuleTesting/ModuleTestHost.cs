using System.Reflection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SupHost.Abi;
using SupHost.Driver;
using SupHost.Driver.Internal.Modules;
using SupHost.ModuleTesting.Internal;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.ModuleTesting;

/// <summary>
/// Hosts one module in this process with the daemon's real services, for the module's unit tests:
/// a <see cref="SupDriver"/> that is started without sockets, loads the module (pinned, as
/// <c>Supd:StartModules</c> does), and serves <see cref="TestSession"/>s whose requests go through
/// its dispatcher as a connection's do. <see cref="Call"/> is a client's ModuleCall: the same
/// validation, the same <see cref="ModuleCall"/>, cancellation, descriptor handling and exception
/// containment. <see cref="Unload"/> ends every session, terminates and unloads the module and
/// reports what was left (<see cref="AssertClean"/> throws if anything leaked).
/// </summary>
/// <example>
/// <code>
/// using var host = ModuleTestHost.Create(new EchoModule());
/// using TestSession session = host.CreateSession();
/// using TestReply reply = host.Call(session, "Echo", operation: 1, input: [1, 2, 3]);
/// Assert.Equal(new byte[] { 2, 3, 4 }, reply.Output);
/// host.AssertClean();
/// </code>
/// </example>
public sealed class ModuleTestHost : IDisposable
{
    /// <summary>The output size <see cref="Call"/> allows unless told otherwise.</summary>
    public const int DefaultOutputSize = 4096;

    private readonly SupDriver _driver;
    private readonly LogCapture _log;
    private readonly ILogger _logger;
    private readonly string _runDirectory;
    private readonly bool _fromFile;
    private readonly Lock _lock = new();
    private readonly Lock _unloadGate = new();
    private readonly List<TestSession> _sessions = [];
    private readonly List<ModuleLeftovers> _leftovers = [];
    private ulong _module;
    private volatile bool _closed;
    private ModuleLeakReport? _report;
    private int _disposed;

    private ModuleTestHost(string name, ModuleTestHostOptions options, string? moduleDirectory)
    {
        ModuleName = name;
        CancelGrace = options.CancelGrace;
        _fromFile = moduleDirectory is not null;
        _log = new LogCapture(options.LoggerFactory ?? NullLoggerFactory.Instance);
        _logger = _log.CreateLogger("SupHost.ModuleTesting");

        // The driver's run directory holds nothing (no lock, no sockets); it must exist for its stop.
        _runDirectory = Directory.CreateTempSubdirectory("suphost-module-test-").FullName;
        try
        {
            _driver = new SupDriver(
                new DriverOptions
                {
                    RunDirectory = _runDirectory,
                    ModuleDirectories = moduleDirectory is null ? [] : [moduleDirectory],
                    CancelGrace = options.CancelGrace,
                    UnloadTimeout = options.UnloadTimeout,
                    SlowCallThreshold = options.SlowCallThreshold,
                    MaxDescriptorsPerSession = options.MaxDescriptorsPerSession,
                    MaxPagesPerSession = options.MaxPagesPerSession,
                    ModuleSettings = options.Settings is null ? new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.OrdinalIgnoreCase) : new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.OrdinalIgnoreCase)
                    {
                        [name] = new Dictionary<string, string>(options.Settings, StringComparer.OrdinalIgnoreCase),
                    },
                },
                _log);
            _driver.Modules.OnUnloaded = Record;
            _driver.StartInProcess();
        }
        catch
        {
            Directory.Delete(_runDirectory, recursive: true);
            throw;
        }
    }

    /// <summary>The name the module is hosted under.</summary>
    public string ModuleName { get; }

    /// <summary>The hosted module's state directory (its <c>Settings.StateDirectory</c>), inside the host's temporary run directory, removed with the host.</summary>
    public string StateDirectory => Path.Combine(_runDirectory, "modules", ModuleName);

    /// <summary>How long ending a session waits for its running call once it is cancelled.</summary>
    public TimeSpan CancelGrace { get; }

    /// <summary>The module's entry in the module listing (state, references, calls, faults), as <c>supctl modules</c> shows it; null once it is unloaded.</summary>
    public ModuleInfo? Module => _driver.Modules.Snapshot().FirstOrDefault(m => string.Equals(m.Name, ModuleName, StringComparison.Ordinal) && m.State is not ("unloading" or "stuck"));

    /// <summary>Every object alive, as <c>supctl objects</c> lists them.</summary>
    public IReadOnlyList<ObjectInfo> Objects => _driver.Objects.Snapshot();

    /// <summary>Every shared-memory allocation, as <c>supctl memory</c> lists them.</summary>
    public IReadOnlyList<MemoryInfo> Memory => _driver.Memory.Snapshot();

    /// <summary>Descriptors the daemon holds for sessions now (allocations, events, those in calls and those a module took or made).</summary>
    public long DescriptorsHeld => _driver.Descriptors.Held;

    /// <summary>Descriptors calls carried that the module did not take, closed after their call (<c>descriptorsUnclaimed</c> of <c>supctl status</c>).</summary>
    public long DescriptorsUnclaimed => _driver.CallDescriptors.Unclaimed;

    /// <summary>What was logged so far (the newest 10,000 lines): the module's own lines and the daemon's about it.</summary>
    public IReadOnlyList<TestLogEntry> Log => _log.Snapshot();

    /// <summary>Hosts <paramref name="module"/> (the instance the test made) in the default load context, with the daemon's defaults.</summary>
    public static ModuleTestHost Create(ISupModule module) => Create(module, new ModuleTestHostOptions());

    /// <summary>Hosts <paramref name="module"/> (the instance the test made) in the default load context.</summary>
    public static ModuleTestHost Create(ISupModule module, ModuleTestHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(options);
        return Start(NameOf(module.GetType(), options), options, moduleDirectory: null, host => host.LoadInProcess(module.GetType(), module));
    }

    /// <summary>Hosts a new <paramref name="moduleType"/>, made when the module is loaded, in the default load context, with the daemon's defaults.</summary>
    public static ModuleTestHost Create(Type moduleType) => Create(moduleType, new ModuleTestHostOptions());

    /// <summary>Hosts a new <paramref name="moduleType"/>, made when the module is loaded, in the default load context.</summary>
    public static ModuleTestHost Create(Type moduleType, ModuleTestHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(moduleType);
        ArgumentNullException.ThrowIfNull(options);
        return Start(NameOf(moduleType, options), options, moduleDirectory: null, host => host.LoadInProcess(moduleType, null));
    }

    /// <summary>Hosts a new <typeparamref name="TModule"/> in the default load context, with the daemon's defaults.</summary>
    public static ModuleTestHost Create<TModule>()
        where TModule : ISupModule, new() => Create(typeof(TModule), new ModuleTestHostOptions());

    /// <summary>
    /// Hosts the built module <paramref name="name"/> from <paramref name="moduleDirectory"/>
    /// (<c>DIR/NAME/NAME.dll</c>) through the daemon's real loader: its path and files checked as
    /// the daemon checks them, loaded into a collectible load context of its own, unloaded and
    /// watched until collected (<see cref="WaitForCollection"/>).
    /// </summary>
    public static ModuleTestHost LoadFile(string moduleDirectory, string name, ModuleTestHostOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(moduleDirectory);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return Start(name, options ?? new ModuleTestHostOptions(), Path.GetFullPath(moduleDirectory), host => host.LoadFromDirectory());
    }

    /// <summary>A full session of a peer with this process's uid and gid.</summary>
    public TestSession CreateSession() => CreateSession(Libc.EffectiveUserId, Libc.EffectiveGroupId);

    /// <summary>
    /// A session of a peer with <paramref name="uid"/> and <paramref name="gid"/> (this process's
    /// pid), through the full endpoint or, with <paramref name="restricted"/>, the restricted one.
    /// It takes a session slot under the daemon's limits, does the Cookie handshake and, when full,
    /// opens the module.
    /// </summary>
    public TestSession CreateSession(uint uid, uint gid, bool restricted = false)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        var closing = new CancellationTokenSource();
        Session? session = _driver.OpenLocalSession(new PeerCredentials(Environment.ProcessId, uid, gid), [gid], restricted, closing.Token, out SupStatus status, out string? refusal);
        if (session is null)
        {
            closing.Dispose();
            throw new InvalidOperationException($"the daemon refused the session: {refusal} ({status})");
        }

        var test = new TestSession(this, _driver, session, closing);
        bool closed;
        lock (_lock)
        {
            // Checked again under the lock Unload takes its list under: a session is ended by it, or refused.
            closed = _closed;
            if (!closed)
            {
                _sessions.Add(test);
            }
        }

        if (closed)
        {
            test.End();
            throw new ObjectDisposedException(nameof(ModuleTestHost), $"the host of module '{ModuleName}' has unloaded it");
        }

        try
        {
            test.Open(ModuleName);
        }
        catch
        {
            test.End();
            throw;
        }

        return test;
    }

    /// <summary>
    /// Calls the module's entry point <paramref name="entryPoint"/> for <paramref name="session"/>,
    /// as a client's ModuleCall: the symbol is resolved (LDR_GET_SYMBOL, once per session), the
    /// request goes through the dispatcher, and the reply is what the client would receive. An
    /// entry point that throws gives <see cref="SupStatus.ModuleCallFailed"/> with the exception's
    /// message, a negative return value is the module's status (<see cref="TestReply.IsModuleStatus"/>),
    /// an unknown name <see cref="SupStatus.SymbolNotFound"/>.
    /// </summary>
    /// <param name="session">The calling session (<c>call.Session</c>).</param>
    /// <param name="entryPoint">The exported name.</param>
    /// <param name="operation">The operation code.</param>
    /// <param name="argument">The 64-bit argument.</param>
    /// <param name="input">The input payload.</param>
    /// <param name="outputSize">The output buffer the call gets (<c>call.Output.Length</c>).</param>
    /// <param name="descriptors">Descriptors sent with the call (<c>call.Descriptors</c>: duplicates; the caller keeps its own).</param>
    public TestReply Call(TestSession session, string entryPoint, uint operation = 0, ulong argument = 0, ReadOnlySpan<byte> input = default, int outputSize = DefaultOutputSize, IReadOnlyList<SafeFd>? descriptors = null)
    {
        Own(session);
        return session.Call(entryPoint, operation, argument, input, outputSize, descriptors);
    }

    /// <summary>Sends a service request to the module (<see cref="ISupServiceModule.HandleServiceRequest"/>) for <paramref name="session"/>, as a client's ModuleCallService.</summary>
    public TestReply CallService(TestSession session, uint operation = 0, ulong argument = 0, ReadOnlySpan<byte> input = default, int outputSize = DefaultOutputSize, IReadOnlyList<SafeFd>? descriptors = null)
    {
        Own(session);
        return session.CallService(ModuleName, operation, argument, input, outputSize, descriptors);
    }

    /// <summary>
    /// Ends every session (as their clients hanging up), drops the host's pin so that the module
    /// is terminated and unloaded (workers stopped and joined, then Terminate, then timers, leases,
    /// I/O handles, factories and types undone), and reports what was left. Once only: later calls
    /// return the same report; no session can be made after it.
    /// </summary>
    public ModuleLeakReport Unload()
    {
        lock (_unloadGate)
        {
            if (_report is not null)
            {
                return _report;
            }

            List<TestSession> sessions;
            lock (_lock)
            {
                _closed = true;
                sessions = [.. _sessions];
            }

            List<uint> notEnded = [.. sessions.Where(s => !s.End()).Select(s => s.Id)];
            if (_module != 0)
            {
                _driver.Modules.Free(DaemonHolder.Instance, _module, unpin: true, out _);
            }

            ModuleInfo? loaded = Module;
            ModuleLeftovers left;
            lock (_lock)
            {
                left = _leftovers.LastOrDefault() ?? new ModuleLeftovers(ModuleName);
            }

            _report = new ModuleLeakReport(ModuleName)
            {
                ModuleUnloaded = loaded is null,
                HeldBy = loaded is null ? null : loaded.HeldBy ?? $"held by {string.Join(", ", loaded.References.Select(r => r.SessionId == 0 ? "the daemon" : $"session {r.SessionId}"))}",
                SessionsNotEnded = notEnded,
                WorkersNotStopped = left.WorkersNotStopped,
                TerminateFailure = left.TerminateFailure,
                MemoryLeases = left.Leases,
                Timers = left.Timers,
                IoHandles = left.IoHandles,
                ReadinessSets = left.ReadinessSets,
                Factories = left.Factories,
                OwnObjects = left.OwnObjects,
                Descriptors = _driver.Descriptors.Held,
                Objects = _driver.Objects.Snapshot(),
                Allocations = _driver.Memory.Snapshot(),
            };
            return _report;
        }
    }

    /// <summary><see cref="Unload"/>, then <see cref="ModuleLeakException"/> listing the leaks if there are any.</summary>
    public void AssertClean()
    {
        ModuleLeakReport report = Unload();
        if (!report.IsClean)
        {
            throw new ModuleLeakException(report);
        }
    }

    /// <summary>
    /// For a module hosted with <see cref="LoadFile"/>: unloads it, then waits up to
    /// <paramref name="timeout"/> for the garbage collector to collect its load context (the
    /// daemon's watcher collects every 200 ms); false when something still references its code.
    /// </summary>
    public bool WaitForCollection(TimeSpan timeout)
    {
        if (!_fromFile)
        {
            throw new InvalidOperationException($"module '{ModuleName}' lives in the default load context; only a module hosted with LoadFile has a load context to collect");
        }

        Unload();
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (_driver.Modules.Snapshot().Exists(m => string.Equals(m.Name, ModuleName, StringComparison.Ordinal)))
        {
            if (Environment.TickCount64 > deadline)
            {
                return false;
            }

            // The watcher's state is polled until the deadline; nothing signals a collection.
            Thread.Sleep(20);
        }

        return true;
    }

    /// <summary><see cref="Unload"/> (its report stays readable), then stops the driver: its events, the GIP, its temporary directory.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            Unload();
        }
        finally
        {
            _driver.Stop();
            Directory.Delete(_runDirectory, recursive: true);
        }
    }

    internal void SessionEnded(TestSession session)
    {
        lock (_lock)
        {
            _sessions.Remove(session);
        }
    }

    internal void LogCancelFailure(uint sessionId, Exception exception) => TestHostLog.CancelCallbackThrew(_logger, exception, sessionId);

    private static ModuleTestHost Start(string name, ModuleTestHostOptions options, string? moduleDirectory, Action<ModuleTestHost> load)
    {
        var host = new ModuleTestHost(name, options, moduleDirectory);
        try
        {
            load(host);
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    private static string NameOf(Type moduleType, ModuleTestHostOptions options)
    {
        if (options.ModuleName is string name)
        {
            return name;
        }

        SupModuleAttribute? declaration = moduleType.Assembly.GetCustomAttribute<SupModuleAttribute>();
        return declaration?.ModuleType == moduleType
            ? declaration.Name
            : throw new ArgumentException($"{moduleType.FullName} is not the module its assembly declares with [assembly: SupModule]; give its name as ModuleTestHostOptions.ModuleName", nameof(moduleType));
    }

    private void LoadInProcess(Type moduleType, ISupModule? instance) =>
        Load(_driver.Modules.OpenInProcess(DaemonHolder.Instance, ModuleName, moduleType, instance, out ModuleOpenReply reply, out string? message), reply, message);

    private void LoadFromDirectory() =>
        Load(_driver.Modules.Open(DaemonHolder.Instance, ModuleName, out ModuleOpenReply reply, out string? message), reply, message);

    /// <summary>After the open: the load, pinned for the host (as a start module is for the daemon).</summary>
    private void Load(SupStatus status, ModuleOpenReply reply, string? message)
    {
        if (status == SupStatus.Success)
        {
            _module = reply.Handle;
            status = _driver.Modules.Load(DaemonHolder.Instance, reply.Handle, pin: true, out message);
        }

        if (status.IsError())
        {
            throw new ModuleLoadException(status, message ?? status.ToString());
        }
    }

    private void Own(TestSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (session.Host != this)
        {
            throw new ArgumentException($"session {session.Id} is another host's", nameof(session));
        }
    }

    private void Record(ModuleLeftovers leftovers)
    {
        lock (_lock)
        {
            _leftovers.Add(leftovers);
        }
    }
}
