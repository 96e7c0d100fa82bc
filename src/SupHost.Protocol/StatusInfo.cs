namespace SupHost.Protocol;

/// <summary>The reply of <see cref="SupFunction.QueryStatus"/>.</summary>
public sealed record StatusInfo
{
    /// <summary>Interface version, "major.minor".</summary>
    public required string Version { get; init; }

    /// <summary>The daemon build's version.</summary>
    public required string DaemonVersion { get; init; }

    /// <summary>The daemon's process id.</summary>
    public required int Pid { get; init; }

    /// <summary>When the daemon started (UTC).</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Seconds since start.</summary>
    public required double UptimeSeconds { get; init; }

    /// <summary>The run directory holding the sockets.</summary>
    public required string RunDirectory { get; init; }

    /// <summary>Largest request datagram accepted.</summary>
    public required int MaxRequestSize { get; init; }

    /// <summary>Sessions now open.</summary>
    public required int Sessions { get; init; }

    /// <summary>Sessions opened since start.</summary>
    public required long SessionsOpened { get; init; }

    /// <summary>Live objects by type name.</summary>
    public required IReadOnlyDictionary<string, int> ObjectsByType { get; init; }

    /// <summary>Objects registered since start.</summary>
    public required long ObjectsCreated { get; init; }

    /// <summary>Objects whose destructor has run since start.</summary>
    public required long ObjectsDestroyed { get; init; }

    /// <summary>Registered component factories.</summary>
    public required int Factories { get; init; }
}
