namespace SupHost.Driver;

/// <summary>Something that holds object references with usage records: a session, or the daemon itself.</summary>
public interface IObjectHolder
{
    /// <summary>The holder's session id (0 for the daemon).</summary>
    uint HolderId { get; }

    /// <summary>The holder's uid, for access checks.</summary>
    uint UserId { get; }

    /// <summary>The groups the holder belongs to (primary first), for access checks.</summary>
    IReadOnlyList<uint> GroupIds { get; }

    /// <summary>The objects it holds (the manager keeps this in step with the objects' usage records).</summary>
    HashSet<SupObject> HeldObjects { get; }

    /// <summary>
    /// Set once the holder has begun to end (a session's <c>EndSession</c>, a module unloading):
    /// from then on it takes no new objects, module references or factories, since nothing would
    /// release them. Read under the manager's lock that also releases what it holds, so a
    /// registration either lands before the release or is refused.
    /// </summary>
    bool HasEnded => false;
}
