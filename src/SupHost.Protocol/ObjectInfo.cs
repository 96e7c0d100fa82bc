namespace SupHost.Protocol;

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
