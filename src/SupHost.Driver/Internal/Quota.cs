namespace SupHost.Driver.Internal;

/// <summary>
/// One resource a client can make the daemon hold (pages, locked pages, descriptors, sessions),
/// counted per session, per uid and in total, each with its limit. A take succeeds on all three
/// counts or on none, under one lock, so that two sessions can never both pass a check that only
/// one of them may pass; what was taken is given back with the same session and uid.
/// </summary>
/// <remarks>
/// The per-uid limit is what keeps one user from locking every other one out: however many
/// sessions a uid opens, together they stay under it. A limit of <see cref="long.MaxValue"/> is
/// no limit.
/// </remarks>
internal sealed class Quota
{
    private readonly Lock _lock = new();
    private readonly Dictionary<uint, long> _bySession = [];
    private readonly Dictionary<uint, long> _byUid = [];
    private long _total;

    /// <param name="resource">What is counted, for messages ("descriptors").</param>
    /// <param name="perSession">Most one session may hold.</param>
    /// <param name="perUid">Most all sessions of one uid may hold.</param>
    /// <param name="total">Most all may hold.</param>
    /// <param name="parent">A budget whose total this one's takes count against too (a module's descriptors in the daemon's), or null.</param>
    public Quota(string resource, long perSession, long perUid, long total, Quota? parent = null)
    {
        _parent = parent;
        ArgumentOutOfRangeException.ThrowIfNegative(perSession);
        ArgumentOutOfRangeException.ThrowIfNegative(perUid);
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        Resource = resource;
        PerSession = perSession;
        PerUid = perUid;
        Total = total;
    }

    /// <summary>What is counted, in the plural ("pages", "descriptors"), for messages.</summary>
    private readonly Quota? _parent;

    public string Resource { get; }

    public long PerSession { get; }

    public long PerUid { get; }

    public long Total { get; }

    /// <summary>Held by every session together.</summary>
    public long Held
    {
        get
        {
            lock (_lock)
            {
                return _total;
            }
        }
    }

    public long HeldBySession(uint sessionId)
    {
        lock (_lock)
        {
            return _bySession.GetValueOrDefault(sessionId);
        }
    }

    public long HeldByUid(uint uid)
    {
        lock (_lock)
        {
            return _byUid.GetValueOrDefault(uid);
        }
    }

    /// <summary>
    /// Takes <paramref name="amount"/> for the session and its uid, or nothing: then
    /// <paramref name="message"/> names the limit that would be exceeded, with the amounts.
    /// </summary>
    public bool TryTake(uint sessionId, uint uid, long amount, out string? message)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        lock (_lock)
        {
            long session = _bySession.GetValueOrDefault(sessionId);
            long user = _byUid.GetValueOrDefault(uid);
            if (amount > PerSession - session)
            {
                message = $"the session holds {session} {Resource}; {amount} more would exceed its limit of {PerSession}";
                return false;
            }

            if (amount > PerUid - user)
            {
                message = $"uid {uid} holds {user} {Resource} over all its sessions; {amount} more would exceed the per-uid limit of {PerUid}";
                return false;
            }

            if (amount > Total - _total)
            {
                message = $"{_total} {Resource} are held; {amount} more would exceed the daemon's limit of {Total}";
                return false;
            }

            // The parent's lock is taken inside this one's, never the other way round.
            if (_parent is not null && !_parent.TryTakeTotal(amount, out message))
            {
                return false;
            }

            _bySession[sessionId] = session + amount;
            _byUid[uid] = user + amount;
            _total += amount;
            message = null;
            return true;
        }
    }

    /// <summary>Gives back what <see cref="TryTake"/> took; the counts never go below zero.</summary>
    public void Return(uint sessionId, uint uid, long amount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        lock (_lock)
        {
            Subtract(_bySession, sessionId, amount);
            Subtract(_byUid, uid, amount);
            long returned = Math.Min(amount, _total);
            _total -= returned;
            _parent?.ReturnTotal(returned);
        }
    }

    /// <summary>Takes <paramref name="amount"/> from the total alone (for a child budget, whose holder is no session).</summary>
    private bool TryTakeTotal(long amount, out string? message)
    {
        lock (_lock)
        {
            if (amount > Total - _total)
            {
                message = $"{_total} {Resource} are held by sessions and modules; {amount} more would exceed the daemon's limit of {Total}";
                return false;
            }

            _total += amount;
            message = null;
            return true;
        }
    }

    private void ReturnTotal(long amount)
    {
        lock (_lock)
        {
            _total = Math.Max(0, _total - amount);
        }
    }

    private static void Subtract(Dictionary<uint, long> counts, uint key, long amount)
    {
        long left = counts.GetValueOrDefault(key) - amount;
        if (left <= 0)
        {
            counts.Remove(key);
        }
        else
        {
            counts[key] = left;
        }
    }
}
