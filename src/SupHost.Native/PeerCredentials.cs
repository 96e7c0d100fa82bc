namespace SupHost.Native;

/// <summary>A socket peer's process, user and group ids, as SO_PEERCRED reports them.</summary>
/// <param name="ProcessId">The peer's pid at connect time.</param>
/// <param name="UserId">The peer's effective uid.</param>
/// <param name="GroupId">The peer's effective gid.</param>
public readonly record struct PeerCredentials(int ProcessId, uint UserId, uint GroupId);
