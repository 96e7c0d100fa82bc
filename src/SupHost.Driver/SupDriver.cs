using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using SupHost.Driver.Internal;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Driver;

/// <summary>
/// The support driver: owns the endpoints, the sessions, the object manager and the component
/// registry. <see cref="Start"/> binds the sockets; <see cref="Stop"/> ends every session as if
/// its client had gone and removes the sockets.
/// </summary>
public sealed class SupDriver : IDisposable
{
    /// <summary>Mode of the full endpoint: owner and group (0660).</summary>
    public const UnixFileMode FullSocketMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    /// <summary>Mode of the restricted endpoint: everyone (0666).</summary>
    public const UnixFileMode RestrictedSocketMode = FullSocketMode | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<uint, Connection> _connections = [];
    private readonly List<Endpoint> _endpoints = [];
    private readonly Footprint _footprint = new();
    private SafeFd? _lockFile;
    private uint _nextSessionId;
    private long _sessionsOpened;
    private long _sessionsRefused;
    private readonly Quota _sessions;
    private readonly Quota _restrictedSessions;
    private int _state; // 0 new, 1 running, 2 stopped

    /// <summary>Creates the driver; nothing is bound until <see cref="Start"/>.</summary>
    public SupDriver(DriverOptions options, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        string? problem = options.Validate();
        if (problem is not null)
        {
            throw new ArgumentException(problem, nameof(options));
        }

        Options = options;
        _logger = loggerFactory.CreateLogger("SupHost.Driver");
        Objects = new ObjectManager(options.MaxObjectsPerSession);
        Objects.DestructorFailed = (obj, ex) => DriverLog.DestructorThrew(_logger, ex, $"0x{obj.Handle:x16}", obj.Type.Name);
        Components = new ComponentRegistry();
        Descriptors = NewDescriptorBudget(options);
        Memory = new MemoryManager(options, Objects, Descriptors, _logger);
        Events = new EventManager(Objects, Descriptors, _logger);
        Gip = new GipManager(options, _logger);
        CallDescriptors = new Internal.Modules.CallDescriptors(Descriptors);
        Modules = new ModuleLoader(options, Objects, Components, Memory, Events, Gip, CallDescriptors, loggerFactory);
        Dispatcher = new Dispatcher(this, _logger, options.MaxRequestSize);
        Monitor = new ConnectionMonitor(_logger, options.CancelGrace);
        _sessions = new Quota("sessions", 1, options.MaxSessionsPerUid, options.MaxSessions);
        _restrictedSessions = new Quota("restricted sessions", 1, options.MaxSessionsPerUid, Math.Min(options.MaxRestrictedSessions, options.MaxSessions));
    }

    /// <summary>The options it runs with.</summary>
    public DriverOptions Options { get; }

    /// <summary>The object manager.</summary>
    public ObjectManager Objects { get; }

    /// <summary>The component factory registry.</summary>
    public ComponentRegistry Components { get; }

    /// <summary>Shared pages.</summary>
    public MemoryManager Memory { get; }

    /// <summary>Event semaphores.</summary>
    public EventManager Events { get; }

    /// <summary>The global information page.</summary>
    public GipManager Gip { get; }

    /// <summary>The module loader.</summary>
    public ModuleLoader Modules { get; }

    /// <summary>When <see cref="Start"/> ran.</summary>
    public DateTimeOffset StartedAt { get; private set; }

    /// <summary>Path of the full endpoint.</summary>
    public string FullSocketPath => Path.Combine(Options.RunDirectory, ProtocolConstants.FullSocketName);

    /// <summary>Path of the restricted endpoint.</summary>
    public string RestrictedSocketPath => Path.Combine(Options.RunDirectory, ProtocolConstants.RestrictedSocketName);

    internal Dispatcher Dispatcher { get; }

    /// <summary>The descriptors sessions make the daemon hold (allocations, events), per session, per uid and in total.</summary>
    internal Quota Descriptors { get; }
    internal ConnectionMonitor Monitor { get; }

    /// <summary>Descriptors in module calls: received, duplicated for replies, unclaimed.</summary>
    internal Internal.Modules.CallDescriptors CallDescriptors { get; }

    /// <summary>
    /// Creates the run directory, takes the single-instance lock, replaces stale sockets and starts
    /// accepting. Throws <see cref="InvalidOperationException"/> when a live daemon owns the directory.
    /// </summary>
    public void Start()
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("the driver was started already");
        }

        bool isRoot = Libc.EffectiveUserId == 0;
        string runDir = Options.RunDirectory;
        if (!Directory.Exists(runDir))
        {
            Directory.CreateDirectory(runDir, isRoot
                ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute
                : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        // One daemon per run directory: the lock is held for the daemon's life and dies with it.
        _lockFile = Libc.TryLockFile(Path.Combine(runDir, "supd.lock"), UnixFileMode.UserRead | UnixFileMode.UserWrite)
            ?? throw new InvalidOperationException($"another supd is running on {runDir} (supd.lock is held{OtherPid(runDir)})");
        File.WriteAllText(Path.Combine(runDir, "supd.pid"), $"{Environment.ProcessId}\n");

        uint? gid = ResolveGroup(isRoot);
        try
        {
            Gip.Start();
            Modules.LoadStartModules();
            _endpoints.Add(Bind(FullSocketPath, restricted: false, FullSocketMode, gid));
            _endpoints.Add(Bind(RestrictedSocketPath, restricted: true, RestrictedSocketMode, null));
        }
        catch
        {
            foreach (Endpoint endpoint in _endpoints)
            {
                endpoint.Stop();
            }

            Modules.Shutdown();
            Gip.Dispose();
            Monitor.Dispose();
            _lockFile.Dispose();
            _state = 2;
            throw;
        }

        StartedAt = DateTimeOffset.UtcNow;
        Monitor.Start();
        foreach (Endpoint endpoint in _endpoints)
        {
            endpoint.Start();
        }
    }

    /// <summary>
    /// Starts the driver without endpoints, for an in-process host (SupHost.ModuleTesting): the GIP
    /// and the start modules as <see cref="Start"/> has them, but no run-directory lock, no sockets
    /// and no connection monitor; sessions come from <see cref="OpenLocalSession"/>. The run
    /// directory must exist (<see cref="Stop"/> removes its supd.pid, which is not there).
    /// </summary>
    internal void StartInProcess()
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("the driver was started already");
        }

        try
        {
            Gip.Start();
            Modules.LoadStartModules();
        }
        catch
        {
            Modules.Shutdown();
            Gip.Dispose();
            Monitor.Dispose();
            _state = 2;
            throw;
        }

        StartedAt = DateTimeOffset.UtcNow;
    }

    /// <summary>
    /// A session without a connection, for an in-process host: it takes a session slot as a
    /// connection's does (the same limits, refused once the driver stops), and is ended by
    /// <see cref="EndSession(Session, string)"/>, the one cleanup path; cancelling
    /// <paramref name="closing"/> is its client's hang-up. Requests reach it through
    /// <see cref="Dispatcher"/>, starting with the Cookie handshake. Null with the refusal when
    /// a limit says no.
    /// </summary>
    internal Session? OpenLocalSession(PeerCredentials peer, IReadOnlyList<uint> groups, bool restricted, CancellationToken closing, out SupStatus status, out string? refusal)
    {
        lock (_lock)
        {
            if (!TryAdmit(restricted, peer.UserId, out uint id, out status, out refusal))
            {
                return null;
            }

            _sessionsOpened++;
            return new Session(id, restricted, peer, groups, NewCookie()) { Closing = closing };
        }
    }

    /// <summary>
    /// Under the lock: a new session id, counted against the session limits (and the restricted
    /// endpoint's), or the refusal: the daemon is stopping, or the limit that says no.
    /// </summary>
    private bool TryAdmit(bool restricted, uint uid, out uint id, out SupStatus status, out string? refusal)
    {
        id = ++_nextSessionId;
        status = SupStatus.LimitReached;
        if (_state != 1)
        {
            status = SupStatus.ShuttingDown;
            refusal = "the daemon is stopping";
            return false;
        }

        if (!_sessions.TryTake(id, uid, 1, out refusal))
        {
            return false;
        }

        if (restricted && !_restrictedSessions.TryTake(id, uid, 1, out refusal))
        {
            _sessions.Return(id, uid, 1);
            return false;
        }

        return true;
    }

    /// <summary>
    /// Stops accepting, ends every session through the same cleanup a vanished client gets, and
    /// removes the sockets. Idempotent.
    /// </summary>
    public void Stop()
    {
        int previous = Interlocked.Exchange(ref _state, 2);
        if (previous != 1)
        {
            // Never started, or stopped already.
            return;
        }

        foreach (Endpoint endpoint in _endpoints)
        {
            endpoint.Stop();
        }

        List<Connection> connections;
        lock (_lock)
        {
            connections = [.. _connections.Values];
        }

        DriverLog.Stopping(_logger, connections.Count);
        foreach (Connection connection in connections)
        {
            connection.Shutdown("the daemon is stopping");
            Monitor.Cancelled(connection, "the daemon is stopping");
        }

        // A module waiting on an event in a session's call ends its wait, so the session can end.
        Events.Stop();

        // One wait for all of them together, not one per session: a call that ignores its
        // cancellation is counted by the monitor and left behind (its thread is a background one).
        var clock = Stopwatch.StartNew();
        int left = 0;
        foreach (Connection connection in connections)
        {
            TimeSpan remaining = Options.CancelGrace - clock.Elapsed;
            if (!connection.Join(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero))
            {
                left++;
            }
        }

        if (left > 0)
        {
            DriverLog.StopLeftSessions(_logger, left, Options.CancelGrace.TotalSeconds);
        }

        Monitor.Dispose();

        // Sessions are gone; what only the daemon's pins hold is terminated now.
        Modules.Shutdown();
        _footprint.Dispose();
        Events.Dispose();
        Gip.Dispose();
        File.Delete(Path.Combine(Options.RunDirectory, "supd.pid"));
        _lockFile?.Dispose();
    }

    /// <inheritdoc />
    public void Dispose() => Stop();

    /// <summary>The daemon's status, as <c>supctl status</c> shows it.</summary>
    public StatusInfo GetStatus()
    {
        int sessions;
        lock (_lock)
        {
            sessions = _connections.Count;
        }

        return new StatusInfo
        {
            Version = $"{ProtocolConstants.VersionMajor}.{ProtocolConstants.VersionMinor}",
            DaemonVersion = typeof(SupDriver).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown",
            Pid = Environment.ProcessId,
            StartedAt = StartedAt,
            UptimeSeconds = Math.Round((DateTimeOffset.UtcNow - StartedAt).TotalSeconds, 3),
            RunDirectory = Options.RunDirectory,
            MaxRequestSize = Options.MaxRequestSize,
            Sessions = sessions,
            SessionsOpened = Interlocked.Read(ref _sessionsOpened),
            SessionsRefused = Interlocked.Read(ref _sessionsRefused),
            CallsIgnoringCancellation = Monitor.IgnoredCancellations,
            ObjectsByType = Objects.CountByType(),
            ObjectsCreated = Objects.Created,
            ObjectsDestroyed = Objects.Destroyed,
            DescriptorsHeld = Descriptors.Held,
            DescriptorBudget = Descriptors.Total,
            DescriptorsUnclaimed = CallDescriptors.Unclaimed,
            FootprintSettles = _footprint.Settles,
            PagesHeld = Memory.Pages,
            LockedPages = Memory.LockedPages,
            AllocationsHeld = Memory.Allocations,
            AllocationBudget = Memory.AllocationBudget,
            Factories = Components.Count,
            Modules = Modules.Count,
            ModulesUnloaded = Modules.Unloaded,
            ModulesCollected = Modules.Collected,
            LockedDown = Modules.IsLockedDown,
            ManagedHeapBytes = GC.GetTotalMemory(forceFullCollection: false),
            ResidentBytes = Environment.WorkingSet,
            GipMode = Gip.Mode.ToString(),
            GipModeReason = Gip.ModeReason,
            GipUsers = Gip.Users,
            GipUpdaterRunning = Gip.UpdaterRunning,
            GipUpdates = Gip.Updates,
        };
    }

    /// <summary>Every open session.</summary>
    public List<SessionInfo> GetSessions()
    {
        List<Session> sessions;
        lock (_lock)
        {
            sessions = _connections.Values.Select(c => c.Session).OrderBy(s => s.Id).ToList();
        }

        return sessions.Select(s => new SessionInfo
        {
            Id = s.Id,
            Endpoint = s.IsRestricted ? "restricted" : "full",
            Pid = s.ProcessId,
            Uid = s.UserId,
            Gid = s.GroupId,
            ConnectedAt = s.ConnectedAt,
            Requests = s.Requests,
            Objects = Objects.CountHeldBy(s),
            Factories = Components.CountOwnedBy(s.FactoryOwner),
            MapsGip = s.GipMapped,
        }).ToList();
    }

    internal void Accept(SafeFd fd, bool restricted)
    {
        PeerCredentials peer;
        try
        {
            peer = Libc.GetPeerCredentials(fd);
        }
        catch (NativeException ex)
        {
            DriverLog.ConnectionRefused(_logger, 0, ex.Message);
            fd.Dispose();
            return;
        }

        IReadOnlyList<uint> groups = PeerGroups.Read(peer.ProcessId, peer.GroupId);
        Connection? connection = TryOpen(fd, restricted, peer, groups, out SupStatus status, out string? refusal);
        if (connection is null)
        {
            Interlocked.Increment(ref _sessionsRefused);
            DriverLog.ConnectionRefused(_logger, peer.ProcessId, refusal!);
            Monitor.Refuse(fd, peer.ProcessId, status, refusal!);
            return;
        }

        DriverLog.SessionOpened(_logger, connection.Session.Id, peer.ProcessId, peer.UserId, peer.GroupId, restricted ? "restricted" : "full");
        connection.Start();
    }

    /// <summary>
    /// Takes a session slot (in total, per uid, and for the restricted endpoint its own share) and
    /// makes the session; or names the limit in <paramref name="refusal"/>.
    /// </summary>
    private Connection? TryOpen(SafeFd fd, bool restricted, PeerCredentials peer, IReadOnlyList<uint> groups, out SupStatus status, out string? refusal)
    {
        lock (_lock)
        {
            if (!TryAdmit(restricted, peer.UserId, out uint id, out status, out refusal))
            {
                return null;
            }

            int largestSend;
            try
            {
                // Every reply the protocol allows must fit the socket (EMSGSIZE otherwise), and a
                // client that stops reading its replies must not hold the session's thread for ever.
                largestSend = Libc.SizeBuffers(fd, ProtocolConstants.HeaderSize + Dispatcher.MaxOutputSize, Options.MaxRequestSize);
                Libc.SetSendTimeout(fd, Connection.SendTimeout);
            }
            catch (NativeException ex)
            {
                ReturnSessionQuota(id, peer.UserId, restricted);
                status = SupStatus.GeneralFailure;
                refusal = $"its socket cannot be set up: {ex.Message}";
                return null;
            }

            var closing = new CancellationTokenSource();
            var session = new Session(id, restricted, peer, groups, NewCookie()) { Closing = closing.Token };
            var connection = new Connection(this, _logger, fd, session, closing, largestSend);
            _connections.Add(session.Id, connection);
            _sessionsOpened++;
            return connection;
        }
    }

    /// <summary>Refuses a connection accepted with the spare descriptor: answered at once, closed at once.</summary>
    internal void RefuseWithoutDescriptors(SafeFd fd, string path, Errno error)
    {
        Interlocked.Increment(ref _sessionsRefused);
        DriverLog.RefusedWithSpare(_logger, path, error);
        ConnectionMonitor.RefuseNow(fd, SupStatus.LimitReached, $"the daemon is out of file descriptors ({error})");
    }

    private void ReturnSessionQuota(uint id, uint uid, bool restricted)
    {
        _sessions.Return(id, uid, 1);
        if (restricted)
        {
            _restrictedSessions.Return(id, uid, 1);
        }
    }

    /// <summary>
    /// The one cleanup path of a session, run on its own thread when its connection ends, in the
    /// order of supdrvCleanupSession: object references, then memory, then factories, then modules,
    /// then the GIP mapping.
    /// </summary>
    internal void EndSession(Session session, string reason)
    {
        session.MarkEnded();
        int held = Objects.CountHeldBy(session);
        int destroyed = Objects.ReleaseAll(session);
        int factories = Components.RemoveOwnedBy(session.FactoryOwner);
        int modules = Modules.ReleaseAll(session);
        Gip.Unmap(session);
        lock (_lock)
        {
            _connections.Remove(session.Id);
            ReturnSessionQuota(session.Id, session.UserId, session.IsRestricted);
        }

        DriverLog.SessionEnded(_logger, session.Id, session.ProcessId, reason, held, destroyed, factories, modules);
        _footprint.SessionEnded();
    }

    private Endpoint Bind(string path, bool restricted, UnixFileMode mode, uint? gid)
    {
        // The lock is ours, so a socket file left here belongs to a daemon that died. Still, make
        // sure nobody answers on it before taking it over.
        if (File.Exists(path) || Directory.Exists(path))
        {
            if (IsAlive(path))
            {
                throw new InvalidOperationException($"a live process answers on {path}; refusing to replace it");
            }

            File.Delete(path);
            DriverLog.StaleSocket(_logger, path);
        }

        SafeFd listener = Libc.Socket(Libc.AF_UNIX, Libc.SOCK_SEQPACKET);
        try
        {
            Libc.Bind(listener, path);

            // Mode and group are set before listen(2): until then every connect is refused, so
            // there is no moment when the socket is reachable with the wrong permissions.
            File.SetUnixFileMode(path, mode);
            if (gid is uint g)
            {
                Libc.ChangeOwner(path, uint.MaxValue, g);
            }

            Libc.Listen(listener, 128);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        DriverLog.Listening(_logger, path, restricted ? "restricted" : "full", restricted ? "0666" : "0660");
        return new Endpoint(this, _logger, path, restricted, listener);
    }

    private uint? ResolveGroup(bool isRoot)
    {
        uint? gid = Libc.GetGroupId(Options.SocketGroup);
        if (gid is null && isRoot)
        {
            using var groupadd = Process.Start(new ProcessStartInfo("groupadd", ["--system", Options.SocketGroup]) { RedirectStandardError = true, UseShellExecute = false });
            groupadd?.WaitForExit();
            gid = Libc.GetGroupId(Options.SocketGroup);
            if (gid is not null)
            {
                DriverLog.GroupCreated(_logger, Options.SocketGroup);
            }
        }

        if (gid is null)
        {
            DriverLog.GroupMissing(_logger, Options.SocketGroup, FullSocketPath);
        }

        return gid;
    }

    private static bool IsAlive(string path)
    {
        using SafeFd probe = Libc.Socket(Libc.AF_UNIX, Libc.SOCK_SEQPACKET);
        try
        {
            Libc.Connect(probe, path);
            return true;
        }
        catch (NativeException)
        {
            return false;
        }
    }

    private static string OtherPid(string runDir)
    {
        try
        {
            return $" by pid {File.ReadAllText(Path.Combine(runDir, "supd.pid")).Trim()}";
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    /// <summary>
    /// The descriptors sessions may make the daemon hold between them: whatever RLIMIT_NOFILE
    /// leaves once the descriptors open now, one per possible session and the reserve are set
    /// aside, so that running out is a status for the session that asks, never EMFILE for the
    /// daemon.
    /// </summary>
    private static Quota NewDescriptorBudget(DriverOptions options)
    {
        long limit = Libc.RaiseDescriptorLimit();
        long open = Directory.GetFileSystemEntries("/proc/self/fd").Length;
        long total = Math.Max(0, limit - open - options.MaxSessions - options.DescriptorReserve);
        return new Quota("descriptors", options.MaxDescriptorsPerSession, options.MaxDescriptorsPerUid, total);
    }

    private static ulong NewCookie()
    {
        Span<byte> bytes = stackalloc byte[8];
        ulong cookie;
        do
        {
            RandomNumberGenerator.Fill(bytes);
            cookie = BitConverter.ToUInt64(bytes);
        }
        while (cookie == 0);
        return cookie;
    }
}
