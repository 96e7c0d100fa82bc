namespace SupHost.Abi;

/// <summary>Who is calling: the session's id and the peer process's credentials.</summary>
public interface ISessionIdentity
{
    /// <summary>The session id (0 for the daemon's own kernel-like session).</summary>
    uint Id { get; }

    /// <summary>The peer's pid.</summary>
    int ProcessId { get; }

    /// <summary>The peer's uid.</summary>
    uint UserId { get; }

    /// <summary>The peer's gid.</summary>
    uint GroupId { get; }

    /// <summary>The session came through the restricted endpoint.</summary>
    bool IsRestricted { get; }
}
