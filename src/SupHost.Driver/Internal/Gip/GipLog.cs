using Microsoft.Extensions.Logging;

namespace SupHost.Driver.Internal.Gip;

internal static partial class GipLog
{
    [LoggerMessage(EventId = 60, Level = LogLevel.Information, Message = "GIP ready: mode {Mode}, TSC {Hz} Hz, {Cpus} CPUs, TSC deltas to cpu0 in ticks: {Deltas} ({Reason})")]
    public static partial void Ready(ILogger logger, string mode, long hz, int cpus, string deltas, string reason);

    [LoggerMessage(EventId = 61, Level = LogLevel.Warning, Message = "GIP: cpu{Cpu}'s clock was {ErrorNs} ns behind CLOCK_MONOTONIC, too far to slew: stepped forward")]
    public static partial void Step(ILogger logger, int cpu, long errorNs);
}
