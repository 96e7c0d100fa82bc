using Microsoft.Extensions.Logging;
using SupHost.Native;
using SupHost.Protocol;

namespace SupHost.Driver;

/// <summary>The driver's log lines, with stable event ids; each names the session and peer pid.</summary>
internal static partial class DriverLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Listening on {Path} ({Endpoint}, mode {Mode})")]
    public static partial void Listening(ILogger logger, string path, string endpoint, string mode);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Replaced a stale socket at {Path}")]
    public static partial void StaleSocket(ILogger logger, string path);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Created group {Group} for the full endpoint")]
    public static partial void GroupCreated(ILogger logger, string group);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Group {Group} does not exist and cannot be created here; {Path} keeps the daemon's group")]
    public static partial void GroupMissing(ILogger logger, string group, string path);

    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "Session {SessionId} opened by pid {Pid} uid {Uid} gid {Gid} on the {Endpoint} endpoint")]
    public static partial void SessionOpened(ILogger logger, uint sessionId, int pid, uint uid, uint gid, string endpoint);

    [LoggerMessage(EventId = 11, Level = LogLevel.Debug, Message = "Session {SessionId} (pid {Pid}) ended: {Reason}; released {Objects} object references ({Destroyed} destroyed), {Factories} factories, {Modules} modules")]
    public static partial void SessionEnded(ILogger logger, uint sessionId, int pid, string reason, int objects, int destroyed, int factories, int modules);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Refused a connection from pid {Pid}: {Reason}")]
    public static partial void ConnectionRefused(ILogger logger, int pid, string reason);

    [LoggerMessage(EventId = 20, Level = LogLevel.Debug, Message = "Session {SessionId} (pid {Pid}): {Function} failed with {Status}: {Message}")]
    public static partial void RequestFailed(ILogger logger, uint sessionId, int pid, SupFunction function, SupStatus status, string? message);

    [LoggerMessage(EventId = 21, Level = LogLevel.Error, Message = "Session {SessionId} (pid {Pid}): {Function} threw")]
    public static partial void RequestThrew(ILogger logger, Exception exception, uint sessionId, int pid, SupFunction function);

    [LoggerMessage(EventId = 22, Level = LogLevel.Error, Message = "Destructor of object {Handle} ({Type}) threw")]
    public static partial void DestructorThrew(ILogger logger, Exception exception, string handle, string type);

    [LoggerMessage(EventId = 23, Level = LogLevel.Error, Message = "Session {SessionId} (pid {Pid}): the connection failed")]
    public static partial void ConnectionFailed(ILogger logger, Exception exception, uint sessionId, int pid);

    [LoggerMessage(EventId = 30, Level = LogLevel.Error, Message = "Accepting on {Path} failed")]
    public static partial void AcceptFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 31, Level = LogLevel.Information, Message = "Stopping: ending {Sessions} sessions")]
    public static partial void Stopping(ILogger logger, int sessions);

    [LoggerMessage(EventId = 3200, Level = LogLevel.Information, Message = "Session {SessionId} (pid {Pid} uid {Uid}): no handshake within {Seconds} s of connecting; closed")]
    public static partial void HandshakeTimedOut(ILogger logger, uint sessionId, int pid, uint uid, double seconds);

    [LoggerMessage(EventId = 3201, Level = LogLevel.Warning, Message = "Session {SessionId} (pid {Pid}): the {Function} reply of {Length} bytes could not be sent ({Error}; the socket takes {Limit}); answered ReplyNotSent instead")]
    public static partial void ReplyNotSent(ILogger logger, uint sessionId, int pid, SupFunction function, int length, string error, int limit);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Warning, Message = "Session {SessionId} (pid {Pid}): {Function} still runs {Seconds} s after it was cancelled ({Why}); it ignores its cancellation token")]
    public static partial void CallIgnoresCancellation(ILogger logger, uint sessionId, int pid, SupFunction function, double seconds, string why);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Debug, Message = "Session {SessionId} (pid {Pid}): the client hung up during {Function}; the call is cancelled")]
    public static partial void HungUpDuringCall(ILogger logger, uint sessionId, int pid, SupFunction function);

    [LoggerMessage(EventId = 3204, Level = LogLevel.Warning, Message = "Out of descriptors accepting on {Path} ({Error}): refused a connection through the spare descriptor")]
    public static partial void RefusedWithSpare(ILogger logger, string path, Errno error);

    [LoggerMessage(EventId = 3205, Level = LogLevel.Warning, Message = "Stopping: {Count} sessions still run a call {Seconds} s after their cancellation; not waiting for them")]
    public static partial void StopLeftSessions(ILogger logger, int count, double seconds);

    [LoggerMessage(EventId = 3206, Level = LogLevel.Error, Message = "The connection monitor failed; hang-ups and refusals are no longer watched")]
    public static partial void MonitorFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3207, Level = LogLevel.Debug, Message = "Closed a refused connection from pid {Pid}: {Why}")]
    public static partial void RefusalClosed(ILogger logger, int pid, string why);

    [LoggerMessage(EventId = 3208, Level = LogLevel.Warning, Message = "Session {SessionId} (pid {Pid}): its socket cannot be watched for hang-ups ({Error}); a call it leaves is not cancelled")]
    public static partial void WatchFailed(ILogger logger, uint sessionId, int pid, Errno error);
}
