using Microsoft.Extensions.Logging;

namespace SupHost.Driver.Internal.Modules;

/// <summary>The loader's log lines, with stable event ids.</summary>
internal static partial class ModuleLog
{
    [LoggerMessage(EventId = 40, Message = "[{Module}] {Text}")]
    public static partial void Line(ILogger logger, LogLevel level, Exception? exception, string module, string text);

    [LoggerMessage(EventId = 41, Level = LogLevel.Information, Message = "Module {Module} {Version} (Abi {AbiMajor}.{AbiMinor}) opened from {Path} by session {SessionId}")]
    public static partial void Opened(ILogger logger, string module, string version, int abiMajor, int abiMinor, string path, uint sessionId);

    [LoggerMessage(EventId = 42, Level = LogLevel.Information, Message = "Module {Module} loaded: init ran, {Symbols} entry points")]
    public static partial void Loaded(ILogger logger, string module, int symbols);

    [LoggerMessage(EventId = 43, Level = LogLevel.Warning, Message = "Module {Module}: init failed")]
    public static partial void InitFailed(ILogger logger, Exception exception, string module);

    [LoggerMessage(EventId = 44, Level = LogLevel.Information, Message = "Module {Module} terminated and unloaded")]
    public static partial void Unloaded(ILogger logger, string module);

    [LoggerMessage(EventId = 45, Level = LogLevel.Error, Message = "Module {Module}: term threw")]
    public static partial void TermFailed(ILogger logger, Exception exception, string module);

    [LoggerMessage(EventId = 46, Level = LogLevel.Warning, Message = "Module {Module}: {Symbol} took {Milliseconds} ms (session {SessionId}, pid {Pid}); the limit is {Limit} ms")]
    public static partial void SlowCall(ILogger logger, string module, string symbol, long milliseconds, uint sessionId, int pid, long limit);

    [LoggerMessage(EventId = 47, Level = LogLevel.Warning, Message = "Module {Module}: {Symbol} threw (session {SessionId}, pid {Pid})")]
    public static partial void CallFailed(ILogger logger, Exception exception, string module, string symbol, uint sessionId, int pid);

    [LoggerMessage(EventId = 48, Level = LogLevel.Error, Message = "Module {Module}: a timer callback threw")]
    public static partial void TimerThrew(ILogger logger, Exception exception, string module);

    [LoggerMessage(EventId = 49, Level = LogLevel.Warning, Message = "Module {Module}: its load context was not collected within {Seconds} s; something still references its code")]
    public static partial void Stuck(ILogger logger, string module, double seconds);

    [LoggerMessage(EventId = 50, Level = LogLevel.Information, Message = "Module {Module}: last reference gone, but {Objects} of its objects are alive; it stays loaded until they go")]
    public static partial void HeldByObjects(ILogger logger, string module, int objects);

    [LoggerMessage(EventId = 3250, Level = LogLevel.Error, Message = "Module {Module} faulted: {Source} threw; its calls fail with ModuleFaulted until it is unloaded and loaded again (fault {Count} of this load)")]
    public static partial void Faulted(ILogger logger, Exception exception, string module, string source, long count);

    [LoggerMessage(EventId = 3251, Level = LogLevel.Error, Message = "Module {Module}: workers {Workers} did not stop within {Seconds} s of being cancelled; terminating it anyway (its load context will likely be reported stuck)")]
    public static partial void WorkersDidNotStop(ILogger logger, string module, string workers, double seconds);

    [LoggerMessage(EventId = 3252, Level = LogLevel.Warning, Message = "Exceptions on threads modules start themselves cannot be contained: the process's unhandled-exception handler is taken ({Reason})")]
    public static partial void HandlerUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 3253, Level = LogLevel.Error, Message = "An unhandled exception on thread '{Thread}' came from the code of {Context}, which is no longer loaded; the thread ended, the daemon goes on")]
    public static partial void FaultOfUnloaded(ILogger logger, Exception exception, string thread, string context);

    [LoggerMessage(EventId = 51, Level = LogLevel.Warning, Message = "Module loading locked down by session {SessionId} (pid {Pid})")]
    public static partial void LockedDown(ILogger logger, uint sessionId, int pid);

    [LoggerMessage(EventId = 3300, Level = LogLevel.Debug, Message = "Module {Module} made {What} 0x{Handle:x16} for session {SessionId} (pid {Pid})")]
    public static partial void MadeForSession(ILogger logger, string module, string what, ulong handle, uint sessionId, int pid);

    [LoggerMessage(EventId = 3301, Level = LogLevel.Debug, Message = "Module {Module} could not make {What} for session {SessionId}: status {Status}, {Reason}")]
    public static partial void MadeForSessionFailed(ILogger logger, string module, string what, uint sessionId, int status, string? reason);

    [LoggerMessage(EventId = 3302, Level = LogLevel.Information, Message = "Start module {Module} loaded and pinned")]
    public static partial void StartModuleLoaded(ILogger logger, string module);
}
