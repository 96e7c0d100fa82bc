namespace SupHost.Client;

/// <summary>A QEMU back-end for a persistent network (<see cref="IntNetQemu.AddIntNetQemu"/>); zeros take the module's defaults.</summary>
public sealed class IntNetQemuOptions
{
    /// <summary>Stream listen, stream connect or datagram.</summary>
    public required IntNetQemuKind Kind { get; init; }

    /// <summary>The Unix socket path (absolute, 1 to 107 bytes); a path to listen or bind on must not exist.</summary>
    public required string Path { get; init; }

    /// <summary>Bytes each port may hold for a guest that does not read (0: 262,144; else 69,636 to 16 MiB).</summary>
    public int QueueBytes { get; init; }

    /// <summary>The most connections (stream listen) or datagram peers at once (0: 64; at most 1024).</summary>
    public int MaxPeers { get; init; }

    /// <summary>After how long without a datagram a peer is forgotten (zero: 60 s; 100 ms to 24 h).</summary>
    public TimeSpan IdleTime { get; init; }
}
