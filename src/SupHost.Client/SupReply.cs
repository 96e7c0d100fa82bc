using SupHost.Protocol;

namespace SupHost.Client;

/// <summary>A successful reply: its status (success or informational) and payload.</summary>
/// <param name="Status">The status (never an error: errors throw).</param>
/// <param name="Payload">The reply payload.</param>
public sealed record SupReply(SupStatus Status, byte[] Payload)
{
    /// <summary>Whether <see cref="Status"/> is a module's own rather than the daemon's (<see cref="HeaderFlags.ModuleStatus"/>).</summary>
    public bool IsModuleStatus { get; init; }
}
