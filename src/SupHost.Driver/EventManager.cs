using Microsoft.Extensions.Logging;
using SupHost.Driver.Internal;
using SupHost.Driver.Internal.Events;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Driver;

/// <summary>
/// Event semaphores (SUPSEMEVENT, SUPSEMEVENTMULTI) as objects held by the session that created
/// them, each backed by an eventfd whose duplicate goes to the client: the client waits on and
/// signals its descriptor without a round trip, and the daemon and its modules signal the same
/// counter. Closing, or the session ending, closes the daemon's descriptor.
/// <para>
/// The client shares the descriptor's open file description, O_NONBLOCK included, so the daemon
/// never relies on it: signals go through Linux AIO (<see cref="EventSignaller"/>), resets and a
/// module wait's taking of the signal are preadv2 with RWF_NOWAIT, and waits poll in slices that
/// notice a cancelled call, a closed event and the daemon stopping.
/// </para>
/// </summary>
public sealed class EventManager : IDisposable
{
    private readonly ObjectManager _objects;
    private readonly Quota _descriptors;
    private readonly ILogger _logger;
    private readonly ObjectType _autoType;
    private readonly ObjectType _multiType;
    private readonly EventSignaller _signaller;
    private readonly CancellationTokenSource _stopping = new();

    internal EventManager(ObjectManager objects, Quota descriptors, ILogger logger)
    {
        _objects = objects;
        _descriptors = descriptors;
        _logger = logger;
        _autoType = objects.FindType((uint)ObjectTypeId.EventSemaphore)!;
        _multiType = objects.FindType((uint)ObjectTypeId.EventMultiSemaphore)!;
        _signaller = new EventSignaller(logger);
    }

    /// <summary>Why the daemon cannot signal events (Linux AIO unavailable), or null when it can.</summary>
    public string? SignalUnavailable => _signaller.Unavailable;

    internal SupStatus Create(Session session, EventKind kind, out SupObject? obj, out string? message)
    {
        obj = null;
        if (kind is not (EventKind.AutoReset or EventKind.Multi))
        {
            message = $"event kind {(uint)kind} is neither 0 (auto-reset) nor 1 (multi)";
            return SupStatus.InvalidParameter;
        }

        // The eventfd is a descriptor the daemon holds for the session: it is counted first.
        if (!_descriptors.TryTake(session.Id, session.UserId, 1, out message))
        {
            message = $"no event created: {message}";
            return SupStatus.LimitReached;
        }

        SafeFd fd;
        try
        {
            fd = Libc.CreateEvent();
        }
        catch (NativeException ex)
        {
            _descriptors.Return(session.Id, session.UserId, 1);
            return ErrnoStatus.StatusOf(ex, "creating the eventfd", out message);
        }

        var entry = new EventEntry(fd, kind);
        ObjectType type = kind == EventKind.Multi ? _multiType : _autoType;
        (uint sessionId, uint uid) = (session.Id, session.UserId);
        SupStatus status = _objects.Register(session, type, null, 0x180, false, _ => Destroy(entry, sessionId, uid), entry, out obj);
        if (status != SupStatus.Success)
        {
            Destroy(entry, sessionId, uid);
            message = status == SupStatus.LimitReached ? "the session holds as many objects as it may" : $"registering the event failed: {status}";
            return status;
        }

        message = null;
        return SupStatus.Success;
    }

    internal SupStatus Signal(IObjectHolder holder, ulong handle, out string? message)
    {
        bool saturated = false;
        SupStatus status = Apply(holder, handle, (EventEntry e, out string? m) => e.Signal(_signaller, out m, out saturated), out message);
        if (saturated)
        {
            EventLog.Saturated(_logger, handle);
        }

        return status;
    }

    internal SupStatus Reset(IObjectHolder holder, ulong handle, out string? message) =>
        Apply(
            holder,
            handle,
            static (EventEntry e, out string? m) =>
            {
                e.Reset();
                m = null;
                return SupStatus.Success;
            },
            out message);

    /// <summary>Waits on an event <paramref name="holder"/> holds (for modules; clients wait on their own descriptor).</summary>
    internal SupStatus Wait(IObjectHolder holder, ulong handle, int timeoutMs, out string? message) =>
        Wait(holder, handle, timeoutMs, CancellationToken.None, out message);

    /// <summary>
    /// As <see cref="Wait(IObjectHolder, ulong, int, out string?)"/>, ending with
    /// <see cref="SupStatus.WaitCancelled"/> within a poll slice of <paramref name="cancellation"/>
    /// being cancelled (a module call whose client went away), with <see cref="SupStatus.ShuttingDown"/>
    /// when the daemon stops and <see cref="SupStatus.ObjectDying"/> when the event is closed meanwhile.
    /// </summary>
    internal SupStatus Wait(IObjectHolder holder, ulong handle, int timeoutMs, CancellationToken cancellation, out string? message)
    {
        SupStatus status = Apply(
            holder,
            handle,
            (EventEntry e, out string? m) =>
            {
                SupStatus waited = e.Wait(timeoutMs, cancellation, _stopping.Token);
                m = waited switch
                {
                    SupStatus.WaitTimedOut => $"the event was not signalled within {timeoutMs} ms",
                    SupStatus.WaitCancelled => "the wait was cancelled: the call's client went away",
                    SupStatus.ShuttingDown => "the wait ended: the daemon is stopping",
                    SupStatus.ObjectDying => $"event 0x{handle:x16} was closed during the wait",
                    _ => null,
                };
                return waited;
            },
            out message);
        if (status is SupStatus.WaitCancelled or SupStatus.ShuttingDown or SupStatus.ObjectDying)
        {
            EventLog.WaitEnded(_logger, handle, message!);
        }

        return status;
    }

    /// <summary>Ends every wait on an event (within a poll slice) with <see cref="SupStatus.ShuttingDown"/>: the daemon is stopping.</summary>
    internal void Stop() => _stopping.Cancel();

    /// <summary>Once the sessions are gone: ends any wait left and releases the AIO context. Idempotent.</summary>
    public void Dispose()
    {
        _stopping.Cancel();
        _signaller.Dispose();

        // The source stays undisposed: a late Stop or wait may still read it, and it holds no timer.
    }

    internal SupStatus Close(Session session, ulong handle, out string? message)
    {
        if (Held(session, handle) is null)
        {
            message = NotHeld(handle);
            return SupStatus.InvalidHandle;
        }

        message = null;
        return _objects.ReleaseEvery(session, handle);
    }

    private void Destroy(EventEntry entry, uint sessionId, uint uid)
    {
        entry.Dispose();
        _descriptors.Return(sessionId, uid, 1);
    }

    internal static EventEntry? Payload(SupObject obj) => obj.Payload as EventEntry;

    private delegate SupStatus EntryAction(EventEntry entry, out string? message);

    private SupStatus Apply(IObjectHolder holder, ulong handle, EntryAction action, out string? message)
    {
        EventEntry? entry = Held(holder, handle);
        if (entry is null)
        {
            message = NotHeld(handle);
            return SupStatus.InvalidHandle;
        }

        try
        {
            return action(entry, out message);
        }
        catch (ObjectDisposedException)
        {
            // Closed by another holder between the look-up and the system call.
            message = NotHeld(handle);
            return SupStatus.InvalidHandle;
        }
        catch (NativeException ex)
        {
            return ErrnoStatus.StatusOf(ex, $"event 0x{handle:x16}", out message);
        }
    }

    /// <summary>The signaller, for a module's handle over an event (IModuleIo.OpenEvent).</summary>
    internal EventSignaller Signaller => _signaller;

    /// <summary>The event <paramref name="holder"/> holds as <paramref name="handle"/>, or null.</summary>
    internal EventEntry? Find(IObjectHolder holder, ulong handle) => Held(holder, handle);

    private EventEntry? Held(IObjectHolder holder, ulong handle) => _objects.Resolve(holder, handle)?.Payload as EventEntry;

    private static string NotHeld(ulong handle) => $"handle 0x{handle:x16} is not an event this session holds";
}
