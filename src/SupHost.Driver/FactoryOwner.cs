namespace SupHost.Driver;

/// <summary>Who owns a factory registration: a session, a module, or the daemon.</summary>
/// <param name="Description">"session N", "module NAME" or "daemon".</param>
/// <param name="SessionId">The owning session's id, or 0.</param>
/// <param name="Holder">The session or module identity behind it, whose end refuses new registrations; null for the daemon.</param>
public sealed record FactoryOwner(string Description, uint SessionId, IObjectHolder? Holder = null)
{
    /// <summary>Whether the owner is a module: its factories are the only ones a module's query finds by default.</summary>
    internal bool IsModule => Holder is Internal.Modules.ModuleIdentity;
}
