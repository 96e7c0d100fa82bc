using SupHost.Driver.Internal.Events;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Driver;

/// <summary>
/// Event semaphores (SUPSEMEVENT, SUPSEMEVENTMULTI) as objects held by the session that created
/// them, each backed by an eventfd whose duplicate goes to the client: the client waits on and
/// signals its descriptor without a round trip, and the daemon and its modules signal the same
/// counter. Closing, or the session ending, closes the daemon's descriptor.
/// </summary>
public sealed class EventManager
{
    private readonly ObjectManager _objects;
    private readonly Internal.Quota _descriptors;
    private readonly ObjectType _autoType;
    private readonly ObjectType _multiType;

    internal EventManager(ObjectManager objects, Internal.Quota descriptors)
    {
        _objects = objects;
        _descriptors = descriptors;
        _autoType = objects.FindType((uint)ObjectTypeId.EventSemaphore)!;
        _multiType = objects.FindType((uint)ObjectTypeId.EventMultiSemaphore)!;
    }

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
            message = $"creating the eventfd failed: {ex.Message}";
            return ex.Errno is Errno.EMFILE or Errno.ENFILE or Errno.ENOMEM ? SupStatus.LimitReached : SupStatus.GeneralFailure;
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

    internal SupStatus Signal(IObjectHolder holder, ulong handle, out string? message) =>
        Apply(holder, handle, static e => e.Signal(), out message);

    internal SupStatus Reset(IObjectHolder holder, ulong handle, out string? message) =>
        Apply(holder, handle, static e => e.Reset(), out message);

    /// <summary>Waits on an event <paramref name="holder"/> holds (for modules; clients wait on their own descriptor).</summary>
    internal SupStatus Wait(IObjectHolder holder, ulong handle, int timeoutMs, out string? message)
    {
        EventEntry? entry = Held(holder, handle);
        if (entry is null)
        {
            message = NotHeld(handle);
            return SupStatus.InvalidHandle;
        }

        message = null;
        return entry.Wait(timeoutMs) ? SupStatus.Success : SupStatus.WaitTimedOut;
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

    private SupStatus Apply(IObjectHolder holder, ulong handle, Action<EventEntry> action, out string? message)
    {
        EventEntry? entry = Held(holder, handle);
        if (entry is null)
        {
            message = NotHeld(handle);
            return SupStatus.InvalidHandle;
        }

        try
        {
            action(entry);
        }
        catch (ObjectDisposedException)
        {
            // Closed by another holder between the look-up and the write.
            message = NotHeld(handle);
            return SupStatus.InvalidHandle;
        }
        catch (NativeException ex)
        {
            // EAGAIN: the counter is at its maximum (a client wrote a huge value to its descriptor).
            message = $"the eventfd refused: {ex.Message}";
            return SupStatus.GeneralFailure;
        }

        message = null;
        return SupStatus.Success;
    }

    private EventEntry? Held(IObjectHolder holder, ulong handle) => _objects.Resolve(holder, handle)?.Payload as EventEntry;

    private static string NotHeld(ulong handle) => $"handle 0x{handle:x16} is not an event this session holds";
}
