using SupHost.Abi;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Driver.Internal.Modules;

/// <summary>
/// Descriptors in module calls: those a request carried, wrapped for the module and charged to
/// the session's descriptor budget while the daemon holds them; duplicates a module hands out of
/// what it made for a session; and the count of received ones no module took.
/// </summary>
internal sealed class CallDescriptors
{
    private readonly Quota _quota;

    /// <summary>The daemon's descriptor budget.</summary>
    public Quota Budget => _quota;
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<SafeFd, object> _issued = [];
    private long _unclaimed;

    public CallDescriptors(Quota quota)
    {
        _quota = quota;
    }

    /// <summary>Received descriptors no module took, closed after their call, since the start.</summary>
    public long Unclaimed => Interlocked.Read(ref _unclaimed);

    /// <summary>
    /// Moves what the request carried (<paramref name="fds"/>, emptied here) into the call's set,
    /// each charged to the session until it is closed; when the budget does not allow them, every
    /// one is closed and <paramref name="message"/> says which limit.
    /// </summary>
    public ModuleCallDescriptors? Adopt(Session session, List<SafeFd> fds, out string? message)
    {
        message = null;
        if (fds.Count == 0)
        {
            // The session's own empty set, reused: a session's requests are served one at a time,
            // and every call's set is emptied (CloseAll) before the next request is read. A set a
            // module kept and filled after its call is not reused.
            ModuleCallDescriptors reused = session.EmptyCallDescriptors;
            return reused.Reply.Count == 0 ? reused : new ModuleCallDescriptors([]);
        }

        if (!_quota.TryTake(session.Id, session.UserId, fds.Count, out message))
        {
            message = $"the {fds.Count} descriptors the request carried were closed: {message}";
            foreach (SafeFd fd in fds)
            {
                fd.Dispose();
            }

            fds.Clear();
            return null;
        }

        var received = new ModuleDescriptor[fds.Count];
        for (int i = 0; i < received.Length; i++)
        {
            received[i] = Wrap(session, fds[i]);
        }

        fds.Clear();
        return new ModuleCallDescriptors(received);
    }

    /// <summary>A duplicate of <paramref name="fd"/> (an object's own descriptor) for a module to hand out, charged to the session.</summary>
    public SupStatus Duplicate(Session session, SafeFd fd, out ModuleDescriptor? descriptor, out string? message)
    {
        descriptor = null;
        if (!_quota.TryTake(session.Id, session.UserId, 1, out message))
        {
            return SupStatus.LimitReached;
        }

        try
        {
            descriptor = Wrap(session, Libc.Duplicate(fd));
            return SupStatus.Success;
        }
        catch (NativeException ex)
        {
            _quota.Return(session.Id, session.UserId, 1);
            return ErrnoStatus.StatusOf(ex, "duplicating a descriptor for the reply", out message);
        }
    }

    /// <summary>After a call: closes what nobody took, counting it.</summary>
    public void CloseUnclaimed(ModuleCallDescriptors set)
    {
        int unclaimed = set.CloseUnclaimed();
        if (unclaimed > 0)
        {
            Interlocked.Add(ref _unclaimed, unclaimed);
        }
    }

    /// <summary>
    /// Why a descriptor of the reply cannot be sent, or null when every one is a descriptor the
    /// daemon issued here (received with a call, or duplicated for a module) and still open: a
    /// module that wraps a number of its own cannot hand out the daemon's sockets or files.
    /// </summary>
    public string? CheckReply(ModuleCallDescriptors set)
    {
        for (int i = 0; i < set.Reply.Count; i++)
        {
            ModuleDescriptor descriptor = set.Reply[i];
            if (!descriptor.IsOwned || descriptor.Handle is not SafeFd fd || !_issued.TryGetValue(fd, out _) || fd.IsInvalid || fd.IsClosed)
            {
                return $"reply descriptor {i} is not one the daemon made (received with a call or made by the host's services) or was closed";
            }
        }

        return null;
    }

    private ModuleDescriptor Wrap(Session session, SafeFd fd)
    {
        (uint id, uint uid) = (session.Id, session.UserId);
        _issued.AddOrUpdate(fd, session);
        return new ModuleDescriptor(fd, () => _quota.Return(id, uid, 1));
    }
}
