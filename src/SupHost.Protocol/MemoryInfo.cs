namespace SupHost.Protocol;

/// <summary>One allocation in <see cref="SupFunction.ListMemory"/>.</summary>
public sealed record MemoryInfo
{
    /// <summary>The allocation's handle, hexadecimal.</summary>
    public required string Handle { get; init; }

    /// <summary>The session that allocated it.</summary>
    public required uint SessionId { get; init; }

    /// <summary>4 KiB pages.</summary>
    public required int Pages { get; init; }

    /// <summary>Locked in RAM.</summary>
    public required bool Locked { get; init; }

    /// <summary>Pages whose protection the client set to other than read-write (PageProtect).</summary>
    public int ProtectedPages { get; init; }

    /// <summary>Module leases of it now held.</summary>
    public int Leases { get; init; }

    /// <summary>Modules that took a view of it.</summary>
    public required IReadOnlyList<string> Modules { get; init; }
}
