namespace SupHost.Protocol;

/// <summary>One session in <see cref="SupFunction.ListSessions"/>.</summary>
public sealed record SessionInfo
{
    /// <summary>The session id.</summary>
    public required uint Id { get; init; }

    /// <summary>"full" or "restricted".</summary>
    public required string Endpoint { get; init; }

    /// <summary>The peer's pid.</summary>
    public required int Pid { get; init; }

    /// <summary>The peer's uid.</summary>
    public required uint Uid { get; init; }

    /// <summary>The peer's gid.</summary>
    public required uint Gid { get; init; }

    /// <summary>When it connected (UTC).</summary>
    public required DateTimeOffset ConnectedAt { get; init; }

    /// <summary>Requests served.</summary>
    public required long Requests { get; init; }

    /// <summary>Objects it holds references to.</summary>
    public required int Objects { get; init; }

    /// <summary>Factories it registered.</summary>
    public required int Factories { get; init; }

    /// <summary>Whether the session maps the GIP.</summary>
    public bool MapsGip { get; init; }
}
