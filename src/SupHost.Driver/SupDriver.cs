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
    private SafeFd? _lockFile;
    private uint _nextSessionId;
    private long _sessionsOpened;
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
        Memory = new MemoryManager(options, Objects);
        Events = new EventManager(Objects);
        Gip = new GipManager(options, _logger);
        Modules = new ModuleLoader(options, Objects, Components, Memory, Events, Gip, loggerFactory);
        Dispatcher = new Dispatcher(this, _logger, options.MaxRequestSize);
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
            _endpoints.Add(Bind(FullSocketPath, restricted: false, FullSocketMode, gid));
            _endpoints.Add(Bind(RestrictedSocketPath, restricted: true, RestrictedSocketMode, null));
        }
        catch
        {
            foreach (Endpoint endpoint in _endpoints)
            {
                endpoint.Stop();
            }

            Gip.Dispose();
            _lockFile.Dispose();
            _state = 2;
            throw;
        }

        StartedAt = DateTimeOffset.UtcNow;
        foreach (Endpoint endpoint in _endpoints)
        {
            endpoint.Start();
        }
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
        }

        foreach (Connection connection in connections)
        {
            connection.Join(TimeSpan.FromSeconds(10));
        }

        // Sessions are gone; what only the daemon's pins hold is terminated now.
        Modules.Shutdown();
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
            ObjectsByType = Objects.CountByType(),
            ObjectsCreated = Objects.Created,
            ObjectsDestroyed = Objects.Destroyed,
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
        Connection connection;
        lock (_lock)
        {
            if (_state != 1 || _connections.Count >= Options.MaxSessions)
            {
                (SupStatus status, string reason) = _state != 1
                    ? (SupStatus.ShuttingDown, "the daemon is stopping")
                    : (SupStatus.LimitReached, $"{Options.MaxSessions} sessions are open, the limit");
                DriverLog.ConnectionRefused(_logger, peer.ProcessId, reason);
                Refuse(fd, status, reason);
                return;
            }

            var session = new Session(++_nextSessionId, restricted, peer, groups, NewCookie());
            connection = new Connection(this, _logger, fd, session);
            _connections.Add(session.Id, connection);
            _sessionsOpened++;
        }

        DriverLog.SessionOpened(_logger, connection.Session.Id, peer.ProcessId, peer.UserId, peer.GroupId, restricted ? "restricted" : "full");
        connection.Start();
    }

    /// <summary>
    /// The one cleanup path of a session, run on its own thread when its connection ends, in the
    /// order of supdrvCleanupSession: object references, then memory, then factories, then modules,
    /// then the GIP mapping.
    /// </summary>
    internal void EndSession(Connection connection, string reason)
    {
        Session session = connection.Session;
        session.MarkEnded();
        int held = Objects.CountHeldBy(session);
        int destroyed = Objects.ReleaseAll(session);
        int factories = Components.RemoveOwnedBy(session.FactoryOwner);
        int modules = Modules.ReleaseAll(session);
        Gip.Unmap(session);
        lock (_lock)
        {
            _connections.Remove(session.Id);
        }

        DriverLog.SessionEnded(_logger, session.Id, session.ProcessId, reason, held, destroyed, factories, modules);
    }

    /// <summary>
    /// Tells a connection it will not be served: its first request (waited for at most 2 s, off the
    /// accept thread) is answered with <paramref name="status"/>, then the connection is closed.
    /// Answering a request rather than writing first matters: closing a Unix socket with the
    /// client's request still unread would make the client's receive fail with ECONNRESET before
    /// it could read the reason.
    /// </summary>
    private static void Refuse(SafeFd fd, SupStatus status, string reason) => ThreadPool.UnsafeQueueUserWorkItem(
        static state =>
        {
            (SafeFd fd, SupStatus status, string reason) = state;
            using (fd)
            {
                Libc.SetReceiveTimeout(fd, TimeSpan.FromSeconds(2));
                Refusal(fd, status, reason);
            }
        },
        (fd, status, reason),
        preferLocal: false);

    private static unsafe void Refusal(SafeFd fd, SupStatus status, string reason)
    {
        const int Size = ProtocolConstants.HeaderSize + ProtocolConstants.MaxMessageSize;
        byte* request = stackalloc byte[Size];
        ReceiveResult received = Libc.ReceiveMessage(fd, request, Size);
        if (received.Error != Errno.None || received.Length < ProtocolConstants.HeaderSize)
        {
            return;
        }

        MessageHeader header = MessageHeader.Read(new ReadOnlySpan<byte>(request, ProtocolConstants.HeaderSize));
        byte* reply = stackalloc byte[Size];
        int length = Dispatcher.WriteRefusal(new Span<byte>(reply, Size), header, status, $"supd refused the connection: {reason}");
        _ = Libc.SendMessage(fd, reply, length);
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
