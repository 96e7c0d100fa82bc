using SupHost.Abi;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Driver.Internal.Modules.Io;

/// <summary>
/// A module's readiness set (<see cref="IModuleReadiness"/>): one epoll instance and one eventfd
/// of the daemon's own in it, which a cancelled wait's token or the set's close signals, so that a
/// module's loop ends when its worker is stopped rather than waiting on descriptors forever.
/// epoll reports each registration by an id of the set's, never by a module's value, so a handle
/// removed or closed meanwhile is skipped instead of misreported.
/// </summary>
internal sealed class ModuleReadiness : IModuleReadiness
{
    /// <summary>The epoll data of the wake eventfd; module registrations count from 1.</summary>
    private const ulong WakeId = 0;

    /// <summary>epoll_wait's batch here (Libc.EpollWait takes at most 256).</summary>
    private const int MaxBatch = 256;

    private readonly ModuleIo _owner;
    private readonly SafeFd _epoll;
    private readonly SafeFd _wake;
    private readonly Lock _lock = new();
    private readonly Dictionary<ModuleIoHandle, Registration> _byHandle = [];
    private readonly Dictionary<ulong, Registration> _byId = [];
    private ulong _nextId = 1;
    private volatile bool _closed;

    public ModuleReadiness(ModuleIo owner, SafeFd epoll, SafeFd wake)
    {
        _owner = owner;
        _epoll = epoll;
        _wake = wake;
        Errno added = Libc.EpollAdd(_epoll, _wake, Libc.EPOLLIN, WakeId);
        if (added != Errno.None)
        {
            throw new NativeException("epoll_ctl(EPOLL_CTL_ADD, wake eventfd)", added);
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _byHandle.Count;
            }
        }
    }

    public bool IsClosed => _closed;

    public int Add(IModuleIoHandle handle, IoInterest interest, ulong token)
    {
        if (Check(handle, interest, "Add") is int refused)
        {
            return refused;
        }

        var ours = (ModuleIoHandle)handle;
        lock (_lock)
        {
            if (_closed)
            {
                return _owner.Fail(SupStatus.ObjectDying, "Add: the readiness set is closed");
            }

            if (_byHandle.ContainsKey(ours))
            {
                return _owner.Fail(SupStatus.AlreadyExists, $"Add: {ours.Name} is in the set already; Modify changes it");
            }

            // Checked again under the lock: a handle marks itself closed before it leaves the sets
            // (which takes this lock), so one closing now is either refused here or left after.
            if (ours.IsClosed)
            {
                return _owner.Fail(SupStatus.ObjectDying, $"Add: {ours.Name} is closed");
            }

            var registration = new Registration(_nextId++, ours, token);
            Errno errno;
            try
            {
                errno = Libc.EpollAdd(_epoll, ours.Fd, EpollEvents(interest), registration.Id);
            }
            catch (ObjectDisposedException)
            {
                return _owner.Fail(SupStatus.ObjectDying, $"Add: {ours.Name} is closed");
            }

            if (errno != Errno.None)
            {
                // ENOSPC: fs.epoll.max_user_watches; ENOMEM: kernel memory (epoll_ctl(2)).
                return _owner.Fail(errno is Errno.ENOSPC ? SupStatus.LimitReached : ErrnoStatus.IoStatusOf(errno), $"Add: epoll_ctl for {ours.Name} failed: {errno}");
            }

            _byHandle.Add(ours, registration);
            _byId.Add(registration.Id, registration);
        }

        return 0;
    }

    public int Modify(IModuleIoHandle handle, IoInterest interest, ulong token)
    {
        if (Check(handle, interest, "Modify") is int refused)
        {
            return refused;
        }

        var ours = (ModuleIoHandle)handle;
        lock (_lock)
        {
            if (!_byHandle.TryGetValue(ours, out Registration? old))
            {
                return _owner.Fail(SupStatus.NotFound, $"Modify: {ours.Name} is not in the set");
            }

            // A new id, so an event epoll_wait collected under the old token is not reported with the new one.
            var registration = new Registration(_nextId++, ours, token);
            Errno errno;
            try
            {
                errno = Libc.EpollModify(_epoll, ours.Fd, EpollEvents(interest), registration.Id);
            }
            catch (ObjectDisposedException)
            {
                return _owner.Fail(SupStatus.ObjectDying, $"Modify: {ours.Name} is closed");
            }

            if (errno != Errno.None)
            {
                return _owner.Fail(ErrnoStatus.IoStatusOf(errno), $"Modify: epoll_ctl for {ours.Name} failed: {errno}");
            }

            _byId.Remove(old.Id);
            _byHandle[ours] = registration;
            _byId.Add(registration.Id, registration);
        }

        return 0;
    }

    public int Remove(IModuleIoHandle handle)
    {
        if (handle is not ModuleIoHandle ours || !Forget(ours))
        {
            return _owner.Fail(SupStatus.NotFound, $"Remove: {handle?.Name ?? "null"} is not in the set");
        }

        try
        {
            Libc.EpollRemove(_epoll, ours.Fd);
        }
        catch (ObjectDisposedException)
        {
            // Closed: the kernel removed it from the set with its last reference.
        }

        return 0;
    }

    public int Wait(Span<IoReady> ready, int timeoutMilliseconds, CancellationToken cancellation)
    {
        // Validate the request.
        if (ready.IsEmpty)
        {
            return _owner.Fail(SupStatus.InvalidParameter, "Wait: the span for ready handles is empty");
        }

        if (timeoutMilliseconds < -1)
        {
            return _owner.Fail(SupStatus.InvalidParameter, $"Wait: timeout {timeoutMilliseconds} ms; -1 (no limit) or 0 and more are allowed");
        }

        int batch = Math.Min(ready.Length, MaxBatch);
        long deadline = timeoutMilliseconds < 0 ? long.MaxValue : Environment.TickCount64 + timeoutMilliseconds;

        // Hold the wake descriptor for the whole wait: closing an eventfd removes it from the epoll
        // set with whatever it had queued (fs/eventpoll.c's eventpoll_release), so a Dispose that
        // rang it and closed it at once could leave this wait asleep for good.
        bool held = false;
        try
        {
            _wake.DangerousAddRef(ref held);
        }
        catch (ObjectDisposedException)
        {
            return _owner.Fail(SupStatus.ObjectDying, "Wait: the readiness set is closed");
        }

        try
        {
            return WaitHeld(ready, batch, deadline, cancellation);
        }
        finally
        {
            if (held)
            {
                _wake.DangerousRelease();
            }
        }
    }

    private int WaitHeld(Span<IoReady> ready, int batch, long deadline, CancellationToken cancellation)
    {
        Span<uint> events = stackalloc uint[batch];
        Span<ulong> data = stackalloc ulong[batch];
        Span<byte> drain = stackalloc byte[sizeof(ulong)];

        // The token's callback rings the wake descriptor; a cancelled or closed set answers at once.
        using CancellationTokenRegistration registration = cancellation.Register(static state => ((ModuleReadiness)state!).Wake(), this);
        while (true)
        {
            if (_closed)
            {
                return _owner.Fail(SupStatus.ObjectDying, "Wait: the readiness set is closed");
            }

            if (cancellation.IsCancellationRequested)
            {
                return (int)SupStatus.WaitCancelled;
            }

            int timeout = deadline == long.MaxValue ? -1 : (int)Math.Clamp(deadline - Environment.TickCount64, 0, int.MaxValue);
            int count;
            try
            {
                count = Libc.EpollWait(_epoll, events, data, timeout);
            }
            catch (ObjectDisposedException)
            {
                return _owner.Fail(SupStatus.ObjectDying, "Wait: the readiness set is closed");
            }
            catch (NativeException ex)
            {
                return _owner.Fail(ErrnoStatus.IoStatusOf(ex.Errno), $"Wait: {ex.Message}");
            }

            int reported = 0;
            bool woken = false;
            lock (_lock)
            {
                for (int i = 0; i < count; i++)
                {
                    if (data[i] == WakeId)
                    {
                        woken = true;
                    }
                    else if (_byId.TryGetValue(data[i], out Registration? entry) && !entry.Handle.IsClosed)
                    {
                        ready[reported++] = new IoReady(entry.Token, Interest(events[i]));
                    }
                }
            }

            if (woken && !_closed && !cancellation.IsCancellationRequested)
            {
                // Rung for an earlier wait's token: take it, so it does not wake this one again.
                _ = Libc.TryRead(_wake, drain, out _);
            }

            if (reported > 0)
            {
                return reported;
            }

            // Nothing of the module's: the time ran out, or only the wake descriptor or stale
            // registrations were reported (then the checks above run again), or EINTR.
            if (!woken && (timeout == 0 || Environment.TickCount64 >= deadline))
            {
                return 0;
            }
        }
    }

    /// <summary>
    /// Takes <paramref name="handle"/>, which is closing, out of the set: the registration and the
    /// epoll entry (while its descriptor is still open; a shared open file would keep the entry).
    /// </summary>
    public void Leave(ModuleIoHandle handle)
    {
        if (!Forget(handle))
        {
            return;
        }

        try
        {
            Libc.EpollRemove(_epoll, handle.Fd);
        }
        catch (ObjectDisposedException)
        {
            // The set closed meanwhile: nothing is registered any more.
        }
    }

    /// <summary>Drops the registration of <paramref name="handle"/> (it was removed or closed); false when it had none.</summary>
    public bool Forget(ModuleIoHandle handle)
    {
        lock (_lock)
        {
            if (!_byHandle.Remove(handle, out Registration? registration))
            {
                return false;
            }

            _byId.Remove(registration.Id);
            return true;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            _byHandle.Clear();
            _byId.Clear();
        }

        // Wake a running Wait first; the SafeFds close for real when it has left epoll_wait.
        Wake();
        _epoll.Dispose();
        _wake.Dispose();
        _owner.OnClosed(this);
    }

    private static uint EpollEvents(IoInterest interest) =>
        ((interest & IoInterest.Readable) != IoInterest.None ? Libc.EPOLLIN | Libc.EPOLLRDHUP : 0) | ((interest & IoInterest.Writable) != IoInterest.None ? Libc.EPOLLOUT : 0);

    private static IoInterest Interest(uint events) =>
        ((events & Libc.EPOLLIN) != 0 ? IoInterest.Readable : IoInterest.None)
        | ((events & Libc.EPOLLOUT) != 0 ? IoInterest.Writable : IoInterest.None)
        | ((events & Libc.EPOLLERR) != 0 ? IoInterest.Error : IoInterest.None)
        | ((events & (Libc.EPOLLHUP | Libc.EPOLLRDHUP)) != 0 ? IoInterest.HangUp : IoInterest.None);

    private int? Check(IModuleIoHandle? handle, IoInterest interest, string call)
    {
        if (handle is not ModuleIoHandle ours || ours.Owner != _owner)
        {
            return _owner.Fail(SupStatus.InvalidHandle, $"{call}: {handle?.Name ?? "null"} is not a handle of module {_owner.Module}'s I/O");
        }

        if (ours.IsClosed)
        {
            return _owner.Fail(SupStatus.ObjectDying, $"{call}: {ours.Name} is closed");
        }

        const IoInterest watchable = IoInterest.Readable | IoInterest.Writable;
        if ((interest & ~watchable) != IoInterest.None || interest == IoInterest.None)
        {
            return _owner.Fail(SupStatus.InvalidParameter, $"{call}: interest {interest} for {ours.Name}; Readable, Writable or both are allowed (errors and hang-ups are always reported)");
        }

        return null;
    }

    private void Wake()
    {
        try
        {
            ulong one = 1;
            _ = Libc.TryWrite(_wake, System.Runtime.InteropServices.MemoryMarshal.AsBytes(new ReadOnlySpan<ulong>(in one)), out _);
        }
        catch (ObjectDisposedException)
        {
            // Closed: nothing waits on it any more.
        }
    }

    private sealed record Registration(ulong Id, ModuleIoHandle Handle, ulong Token);
}
