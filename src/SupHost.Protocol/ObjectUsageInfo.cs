namespace SupHost.Protocol;

/// <summary>One session's references to an object.</summary>
/// <param name="SessionId">The session (0: the daemon or a module).</param>
/// <param name="References">How many references it holds.</param>
public sealed record ObjectUsageInfo(uint SessionId, int References);
