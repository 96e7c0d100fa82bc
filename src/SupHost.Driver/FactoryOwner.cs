namespace SupHost.Driver;

/// <summary>Who owns a factory registration: a session, a module, or the daemon.</summary>
/// <param name="Description">"session N", "module NAME" or "daemon".</param>
/// <param name="SessionId">The owning session's id, or 0.</param>
public sealed record FactoryOwner(string Description, uint SessionId);
