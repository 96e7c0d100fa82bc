using Microsoft.Extensions.Logging;

namespace SupHost.ModuleTesting.Internal;

/// <summary>The test host's own log lines (event ids 3450-3459).</summary>
internal static partial class TestHostLog
{
    [LoggerMessage(EventId = 3450, Level = LogLevel.Warning, Message = "Session {SessionId}: cancelling its token ran a module's callback that threw; the token is cancelled all the same")]
    public static partial void CancelCallbackThrew(ILogger logger, Exception exception, uint sessionId);
}
