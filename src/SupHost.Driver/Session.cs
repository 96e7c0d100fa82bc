using SupHost.Abi;
using SupHost.Native;

namespace SupHost.Driver;

/// <summary>
/// One client connection's session (SUPDRVSESSION): who the peer is, which endpoint it came
/// through, and what it holds. Everything it holds is released when it ends, however it ends.
/// </summary>
public sealed class Session : ISessionIdentity, IObjectHolder
{
    private long _requests;
    private volatile bool _ended;

    internal Session(uint id, bool restricted, PeerCredentials peer, IReadOnlyList<uint> groups, ulong cookie)
    {
        Id = id;
        IsRestricted = restricted;
        ProcessId = peer.ProcessId;
        UserId = peer.UserId;
        GroupId = peer.GroupId;
        GroupIds = groups;
        Cookie = cookie;
        ConnectedAt = DateTimeOffset.UtcNow;
        FactoryOwner = new FactoryOwner($"session {id}", id, this);
    }

    /// <inheritdoc />
    public uint Id { get; }

    /// <inheritdoc />
    public bool IsRestricted { get; }

    /// <inheritdoc />
    public int ProcessId { get; }

    /// <inheritdoc />
    public uint UserId { get; }

    /// <inheritdoc />
    public uint GroupId { get; }

    /// <inheritdoc />
    public IReadOnlyList<uint> GroupIds { get; }

    /// <summary>When the peer connected.</summary>
    public DateTimeOffset ConnectedAt { get; }

    /// <summary>Requests served so far.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    uint IObjectHolder.HolderId => Id;

    HashSet<SupObject> IObjectHolder.HeldObjects { get; } = [];

    bool IObjectHolder.HasEnded => _ended;

    /// <summary>Whether <see cref="MarkEnded"/> ran: the session is being or has been cleaned up.</summary>
    internal bool HasEnded => _ended;

    internal ulong Cookie { get; }

    internal bool Handshaken { get; set; }

    /// <summary>Whether the session maps the GIP (guarded by the GIP manager's lock).</summary>
    internal bool GipMapped { get; set; }

    internal FactoryOwner FactoryOwner { get; }

    /// <summary>Cancelled when the client hangs up or the daemon ends the session; module calls get it as <see cref="ModuleCall.Cancellation"/>.</summary>
    internal CancellationToken Closing { get; init; }

    /// <summary>The descriptor set of this session's module calls that carry none (reused; empty between calls).</summary>
    internal SupHost.Abi.ModuleCallDescriptors EmptyCallDescriptors { get; } = new([]);
    /// <summary>
    /// The first step of ending the session: from here on nothing may be registered in its name
    /// (objects, module references, factories), so what the clean-up releases is all it held.
    /// </summary>
    internal void MarkEnded() => _ended = true;

    internal void CountRequest() => Interlocked.Increment(ref _requests);
}
