using Microsoft.Extensions.Logging;

namespace SupHost.Driver.Internal.Events;

/// <summary>Log lines of event semaphores (event ids 3150-3199).</summary>
internal static partial class EventLog
{
    [LoggerMessage(EventId = 3150, Level = LogLevel.Warning, Message = "Linux AIO is unavailable ({Reason}): the daemon and its modules cannot signal events (clients still can); retried at most once a second")]
    public static partial void AioUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 3151, Level = LogLevel.Information, Message = "Linux AIO is available again: the daemon signals events")]
    public static partial void AioRecovered(ILogger logger);

    [LoggerMessage(EventId = 3152, Level = LogLevel.Debug, Message = "event 0x{Handle:x16}'s counter is at its limit 0xffffffffffffffff (a client wrote to its descriptor); the signal was answered LimitReached")]
    public static partial void Saturated(ILogger logger, ulong handle);

    [LoggerMessage(EventId = 3153, Level = LogLevel.Debug, Message = "a module's wait on event 0x{Handle:x16} ended early: {Reason}")]
    public static partial void WaitEnded(ILogger logger, ulong handle, string reason);

    [LoggerMessage(EventId = 3154, Level = LogLevel.Error, Message = "reaping the AIO context's completions failed")]
    public static partial void ReapFailed(ILogger logger, Exception exception);
}
