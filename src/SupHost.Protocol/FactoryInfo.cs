namespace SupHost.Protocol;

/// <summary>One factory in <see cref="SupFunction.ListFactories"/>.</summary>
public sealed record FactoryInfo
{
    /// <summary>The factory id.</summary>
    public required ulong Id { get; init; }

    /// <summary>The factory name.</summary>
    public required string Name { get; init; }

    /// <summary>Interface ids it answers (lower-case GUIDs; empty when it answers by code).</summary>
    public required IReadOnlyList<string> Interfaces { get; init; }

    /// <summary>The owner: "session N" or "module NAME" or "daemon".</summary>
    public required string Owner { get; init; }

    /// <summary>Owning session id, or 0.</summary>
    public required uint OwnerSessionId { get; init; }
}
