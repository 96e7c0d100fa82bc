using System.Text.Json.Serialization;

namespace SupHost.Protocol;

/// <summary>The reply of <see cref="SupFunction.QueryStatus"/>.</summary>
public sealed record StatusInfo
{
    /// <summary>Interface version, "major.minor".</summary>
    public required string Version { get; init; }

    /// <summary>The daemon build's version.</summary>
    public required string DaemonVersion { get; init; }

    /// <summary>The daemon's process id.</summary>
    public required int Pid { get; init; }

    /// <summary>When the daemon started (UTC).</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Seconds since start.</summary>
    public required double UptimeSeconds { get; init; }

    /// <summary>The run directory holding the sockets.</summary>
    public required string RunDirectory { get; init; }

    /// <summary>Largest request datagram accepted.</summary>
    public required int MaxRequestSize { get; init; }

    /// <summary>Sessions now open.</summary>
    public required int Sessions { get; init; }

    /// <summary>Sessions opened since start.</summary>
    public required long SessionsOpened { get; init; }

    /// <summary>Live objects by type name.</summary>
    public required IReadOnlyDictionary<string, int> ObjectsByType { get; init; }

    /// <summary>Objects registered since start.</summary>
    public required long ObjectsCreated { get; init; }

    /// <summary>Objects whose destructor has run since start.</summary>
    public required long ObjectsDestroyed { get; init; }

    /// <summary>Registered component factories.</summary>
    public required int Factories { get; init; }
}

/// <summary>One session in <see cref="SupFunction.ListSessions"/>.</summary>
public sealed record SessionInfo
{
    /// <summary>The session id.</summary>
    public required uint Id { get; init; }

    /// <summary>"full" or "restricted".</summary>
    public required string Endpoint { get; init; }

    /// <summary>The peer's pid.</summary>
    public required int Pid { get; init; }

    /// <summary>The peer's uid.</summary>
    public required uint Uid { get; init; }

    /// <summary>The peer's gid.</summary>
    public required uint Gid { get; init; }

    /// <summary>When it connected (UTC).</summary>
    public required DateTimeOffset ConnectedAt { get; init; }

    /// <summary>Requests served.</summary>
    public required long Requests { get; init; }

    /// <summary>Objects it holds references to.</summary>
    public required int Objects { get; init; }

    /// <summary>Factories it registered.</summary>
    public required int Factories { get; init; }
}

/// <summary>One session's references to an object.</summary>
/// <param name="SessionId">The session (0: the daemon or a module).</param>
/// <param name="References">How many references it holds.</param>
public sealed record ObjectUsageInfo(uint SessionId, int References);

/// <summary>One object in <see cref="SupFunction.ListObjects"/>.</summary>
public sealed record ObjectInfo
{
    /// <summary>The handle, hexadecimal.</summary>
    public required string Handle { get; init; }

    /// <summary>The type's name.</summary>
    public required string Type { get; init; }

    /// <summary>The type's id.</summary>
    public required uint TypeId { get; init; }

    /// <summary>The name it is opened by, if any.</summary>
    public string? Name { get; init; }

    /// <summary>Creator's uid.</summary>
    public required uint OwnerUid { get; init; }

    /// <summary>Creator's gid.</summary>
    public required uint OwnerGid { get; init; }

    /// <summary>Permission bits, octal ("0660").</summary>
    public required string Mode { get; init; }

    /// <summary>Anyone may open it.</summary>
    public required bool Public { get; init; }

    /// <summary>Total references.</summary>
    public required int References { get; init; }

    /// <summary>References by session.</summary>
    public required IReadOnlyList<ObjectUsageInfo> Usages { get; init; }
}

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

/// <summary>Source-generated JSON for the listings: camelCase names, stable across versions.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StatusInfo))]
[JsonSerializable(typeof(List<SessionInfo>))]
[JsonSerializable(typeof(List<ObjectInfo>))]
[JsonSerializable(typeof(List<FactoryInfo>))]
public sealed partial class ListingJsonContext : JsonSerializerContext
{
}
