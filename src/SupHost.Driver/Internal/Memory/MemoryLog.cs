using Microsoft.Extensions.Logging;

namespace SupHost.Driver.Internal.Memory;

/// <summary>The shared-memory manager's log lines, with stable event ids (3100-3149).</summary>
internal static partial class MemoryLog
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "Shared memory: at most {Budget} allocations (MaxAllocationsTotal {Limit}; vm.max_map_count {MaxMapCount} less {Mapped} mappings at start and a reserve of {Reserve})")]
    public static partial void AllocationBudget(ILogger logger, long budget, long limit, long maxMapCount, long mapped, int reserve);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Shared memory: vm.max_map_count leaves {Budget} allocations, fewer than MaxAllocationsTotal {Limit} (vm.max_map_count {MaxMapCount}, {Mapped} mappings at start, reserve {Reserve})")]
    public static partial void AllocationBudgetReduced(ILogger logger, long budget, long limit, long maxMapCount, long mapped, int reserve);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Session {SessionId}: mlock of {Pages} pages of allocation {Handle} failed ({Errno}); nothing of it stays locked")]
    public static partial void LockFailed(ILogger logger, uint sessionId, int pages, string handle, string errno);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Debug, Message = "Session {SessionId}: allocation 0x{Handle:x16} freed while {Leases} module leases hold it; it is unmapped when the last is disposed")]
    public static partial void FreedWhileLeased(ILogger logger, uint sessionId, ulong handle, int leases);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Warning, Message = "Module {Module} was disposed holding {Leases} memory leases; the daemon ended them")]
    public static partial void LeasesLeft(ILogger logger, string module, int leases);
}
