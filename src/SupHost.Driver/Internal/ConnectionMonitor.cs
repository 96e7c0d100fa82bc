using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Driver.Internal;

/// <summary>
/// One daemon thread, one epoll set (epoll(7)), for everything about connections that must not
/// cost a thread each: it notices a session's client hanging up (EPOLLRDHUP/EPOLLHUP, one-shot) and
/// cancels the session's <see cref="Session.Closing"/> token, so a module call blocked for that
/// client returns; it logs and counts a call that ignores the cancellation past the grace; and it
/// answers refused connections, each when its first request arrives (or closes it at the wait's
/// end), so a refusal never blocks a thread. Watching costs nothing per request: a session's socket
/// is added once when the session opens and removed when it ends.
/// </summary>
internal sealed class ConnectionMonitor : IDisposable
{
    /// <summary>Most refused connections waiting for their first request; beyond it they are answered at once.</summary>
    public const int MaxPendingRefusals = 256;

    private const ulong WakeKey = ulong.MaxValue;
    private const ulong RefusalTag = 1UL << 63;
    private const int ReadBuffer = ProtocolConstants.HeaderSize;
    private static readonly TimeSpan s_refusalWait = TimeSpan.FromSeconds(2);
    private static readonly string s_silentRefusal = $"it sent no request within {s_refusalWait.TotalSeconds} s";

    private readonly ILogger _logger;
    private readonly TimeSpan _grace;
    private readonly SafeFd _epoll;
    private readonly SafeFd _wake;
    private readonly Thread _thread;
    private readonly Lock _lock = new();
    private readonly Dictionary<uint, Connection> _watched = [];
    private readonly Dictionary<ulong, Refusal> _refusals = [];
    private readonly List<Overdue> _cancelled = [];
    private ulong _nextRefusal;
    private long _ignoredCancellations;
    private volatile bool _stopping;

    public ConnectionMonitor(ILogger logger, TimeSpan grace)
    {
        _logger = logger;
        _grace = grace;
        _epoll = Libc.EpollCreate();
        _wake = Libc.CreateEvent();
        Errno added = Libc.EpollAdd(_epoll, _wake, Libc.EPOLLIN, WakeKey);
        if (added != Errno.None)
        {
            _wake.Dispose();
            _epoll.Dispose();
            throw new NativeException("epoll_ctl", added);
        }

        _thread = new Thread(Run, maxStackSize: 256 * 1024) { IsBackground = true, Name = "supd connection monitor" };
    }

    /// <summary>Module calls that ran past the grace after their cancellation, since start.</summary>
    public long IgnoredCancellations => Interlocked.Read(ref _ignoredCancellations);

    public void Start() => _thread.Start();

    /// <summary>Watches the session's socket for its client hanging up, once.</summary>
    public void Watch(Connection connection, SafeFd fd)
    {
        lock (_lock)
        {
            _watched[connection.Session.Id] = connection;
        }

        Errno added;
        try
        {
            added = Libc.EpollAdd(_epoll, fd, Libc.EPOLLRDHUP | Libc.EPOLLONESHOT, connection.Session.Id);
        }
        catch (ObjectDisposedException)
        {
            // The daemon is stopping: the session is being shut down anyway.
            return;
        }

        if (added != Errno.None)
        {
            DriverLog.WatchFailed(_logger, connection.Session.Id, connection.Session.ProcessId, added);
        }
    }

    /// <summary>Stops watching; the session's socket is about to be closed.</summary>
    public void Unwatch(Connection connection, SafeFd fd)
    {
        try
        {
            Libc.EpollRemove(_epoll, fd);
        }
        catch (ObjectDisposedException)
        {
            // A session that outlived the daemon's stop (its call ignored cancellation): the set is gone.
        }

        lock (_lock)
        {
            _watched.Remove(connection.Session.Id);
        }
    }

    /// <summary>
    /// The daemon cancelled the connection's token itself (it is stopping): a call that then runs
    /// past the grace is counted as a client's hang-up would be.
    /// </summary>
    public void Cancelled(Connection connection, string why)
    {
        lock (_lock)
        {
            TrackOverdue(connection, why);
        }

        Wake();
    }

    /// <summary>
    /// Refuses <paramref name="fd"/> with <paramref name="status"/>: its first request is answered
    /// (function and sequence echoed) when it arrives, within 2 s, then the connection is closed.
    /// Answering a request rather than writing first matters: closing a Unix socket with the
    /// client's request unread makes the client's receive fail with ECONNRESET
    /// (net/unix/af_unix.c, unix_release_sock) before it could read the reason. Beyond
    /// <see cref="MaxPendingRefusals"/> waiting, or while stopping, the answer goes at once.
    /// </summary>
    public void Refuse(SafeFd fd, int pid, SupStatus status, string reason)
    {
        ulong key;
        lock (_lock)
        {
            if (_stopping || _refusals.Count >= MaxPendingRefusals)
            {
                key = 0;
            }
            else
            {
                key = RefusalTag | ++_nextRefusal;
                _refusals.Add(key, new Refusal(fd, pid, status, reason, Stopwatch.GetTimestamp() + (long)(s_refusalWait.TotalSeconds * Stopwatch.Frequency)));
            }
        }

        if (key == 0)
        {
            RefuseNow(fd, status, reason);
            return;
        }

        Errno added = Libc.EpollAdd(_epoll, fd, Libc.EPOLLIN | Libc.EPOLLRDHUP | Libc.EPOLLONESHOT, key);
        if (added != Errno.None)
        {
            lock (_lock)
            {
                _refusals.Remove(key);
            }

            RefuseNow(fd, status, reason);
            return;
        }

        Wake();
    }

    /// <summary>
    /// Answers a connection without waiting for its request (header function and sequence 0, which
    /// the client library takes as the answer to whatever it asked), drains what it sent, and
    /// closes it. For when no descriptor or no waiting slot is left.
    /// </summary>
    public static unsafe void RefuseNow(SafeFd fd, SupStatus status, string reason)
    {
        using (fd)
        {
            Answer(fd, default, status, reason);
            Drain(fd);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        Wake();
        if (_thread.IsAlive)
        {
            _thread.Join();
        }

        List<Refusal> left;
        lock (_lock)
        {
            left = [.. _refusals.Values];
            _refusals.Clear();
        }

        foreach (Refusal refusal in left)
        {
            Libc.EpollRemove(_epoll, refusal.Fd);
            RefuseNow(refusal.Fd, SupStatus.ShuttingDown, "the daemon is stopping");
        }

        _wake.Dispose();
        _epoll.Dispose();
    }

    private void Wake()
    {
        try
        {
            Libc.SignalEvent(_wake);
        }
        catch (NativeException)
        {
            // The counter is at its limit: the thread has a wake-up pending anyway.
        }
        catch (ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private void Run()
    {
        Span<uint> events = stackalloc uint[64];
        Span<ulong> keys = stackalloc ulong[64];
        try
        {
            while (!_stopping)
            {
                int count = Libc.EpollWait(_epoll, events, keys, NextTimeout());
                for (int i = 0; i < count; i++)
                {
                    ulong key = keys[i];
                    if (key == WakeKey)
                    {
                        _ = Libc.TryConsumeEvent(_wake);
                    }
                    else if ((key & RefusalTag) != 0)
                    {
                        Answer(key);
                    }
                    else
                    {
                        HungUp((uint)key);
                    }
                }

                Expire();
            }
        }
        catch (Exception ex)
        {
            DriverLog.MonitorFailed(_logger, ex);
        }
    }

    private void HungUp(uint sessionId)
    {
        Connection? connection;
        lock (_lock)
        {
            if (!_watched.TryGetValue(sessionId, out connection))
            {
                return;
            }

            if (connection.Cancel())
            {
                DriverLog.HungUpDuringCall(_logger, sessionId, connection.Session.ProcessId, connection.Current);
                TrackOverdue(connection, "the client hung up");
            }
        }
    }

    /// <summary>Under the lock: remembers a connection whose running request must end within the grace.</summary>
    private void TrackOverdue(Connection connection, string why)
    {
        if (connection.InRequest(out long request))
        {
            _cancelled.Add(new Overdue(connection, request, why, Stopwatch.GetTimestamp(), Stopwatch.GetTimestamp() + (long)(_grace.TotalSeconds * Stopwatch.Frequency)));
        }
    }

    private void Answer(ulong key)
    {
        Refusal? refusal;
        lock (_lock)
        {
            if (!_refusals.Remove(key, out refusal))
            {
                return;
            }
        }

        Libc.EpollRemove(_epoll, refusal.Fd);
        using (refusal.Fd)
        {
            unsafe
            {
                byte* request = stackalloc byte[ReadBuffer];
                ReceiveResult received = Libc.ReceiveMessage(refusal.Fd, request, ReadBuffer, null, ReceiveOptions.DontWait);
                if (received.Error != Errno.None || (received.Length == 0 && !received.Truncated))
                {
                    DriverLog.RefusalClosed(_logger, refusal.Pid, "it hung up before sending a request");
                    return;
                }

                Answer(refusal.Fd, new ReadOnlySpan<byte>(request, Math.Min(received.Length, ReadBuffer)), refusal.Status, refusal.Reason);
            }

            Drain(refusal.Fd);
        }
    }

    private static unsafe void Answer(SafeFd fd, ReadOnlySpan<byte> request, SupStatus status, string reason)
    {
        const int Size = ProtocolConstants.HeaderSize + ProtocolConstants.MaxMessageSize;
        byte* reply = stackalloc byte[Size];
        int length = Dispatcher.WriteRefusal(new Span<byte>(reply, Size), Dispatcher.EchoHeader(request), status, $"supd refused the connection: {reason}");

        // The client has nothing queued from the daemon yet, so this send cannot wait for room.
        _ = Libc.SendMessage(fd, reply, length);
    }

    /// <summary>Takes whatever the client sent, so that closing does not reset its connection (ECONNRESET).</summary>
    private static unsafe void Drain(SafeFd fd)
    {
        byte* sink = stackalloc byte[16];
        for (int i = 0; i < 64; i++)
        {
            ReceiveResult received = Libc.ReceiveMessage(fd, sink, 16, null, ReceiveOptions.DontWait);
            if (received.Error != Errno.None || (received.Length == 0 && !received.Truncated))
            {
                return;
            }
        }
    }

    private int NextTimeout()
    {
        long now = Stopwatch.GetTimestamp();
        long next = long.MaxValue;
        lock (_lock)
        {
            foreach (Refusal refusal in _refusals.Values)
            {
                next = Math.Min(next, refusal.Deadline);
            }

            foreach (Overdue overdue in _cancelled)
            {
                next = Math.Min(next, overdue.Deadline);
            }
        }

        if (next == long.MaxValue)
        {
            return -1;
        }

        // Rounded up, so that the wait never ends just short of a deadline and spins.
        return (int)Math.Clamp(((next - now) * 1000 / Stopwatch.Frequency) + 1, 0, int.MaxValue);
    }

    private void Expire()
    {
        long now = Stopwatch.GetTimestamp();
        List<Refusal>? expired = null;
        List<Overdue>? overdue = null;
        lock (_lock)
        {
            foreach ((ulong key, Refusal refusal) in _refusals)
            {
                if (refusal.Deadline <= now)
                {
                    (expired ??= []).Add(refusal);
                    _refusals.Remove(key);
                }
            }

            for (int i = _cancelled.Count - 1; i >= 0; i--)
            {
                Overdue entry = _cancelled[i];
                if (!entry.Connection.InRequest(out long request) || request != entry.Request)
                {
                    _cancelled.RemoveAt(i);
                }
                else if (entry.Deadline <= now)
                {
                    (overdue ??= []).Add(entry);
                    _cancelled.RemoveAt(i);
                }
            }
        }

        foreach (Refusal refusal in expired ?? [])
        {
            Libc.EpollRemove(_epoll, refusal.Fd);
            refusal.Fd.Dispose();
            DriverLog.RefusalClosed(_logger, refusal.Pid, s_silentRefusal);
        }

        foreach (Overdue entry in overdue ?? [])
        {
            Interlocked.Increment(ref _ignoredCancellations);
            entry.Connection.IgnoredCancellation = true;
            Session session = entry.Connection.Session;
            double seconds = Math.Round(Stopwatch.GetElapsedTime(entry.Since).TotalSeconds, 1);
            SupFunction function = entry.Connection.Current;
            DriverLog.CallIgnoresCancellation(_logger, session.Id, session.ProcessId, function, seconds, entry.Why);
        }
    }

    private sealed record Refusal(SafeFd Fd, int Pid, SupStatus Status, string Reason, long Deadline);

    private readonly record struct Overdue(Connection Connection, long Request, string Why, long Since, long Deadline);
}
