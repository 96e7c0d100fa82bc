namespace SupHost.IntNet.Internal.Qemu;

/// <summary>An endpoint's kind and limits, as NetQemuAdd gives them (docs/networking.md, "QEMU guests").</summary>
internal sealed record QemuEndpointOptions(QemuEndpointKind Kind, string Path, int QueueBytes, int MaxPeers, int IdleMilliseconds)
{
    public const int DefaultQueueBytes = 256 * 1024;
    public const int MinQueueBytes = 4 + QemuPort.MaxFrame;
    public const int MaxQueueBytes = 16 << 20;
    public const int DefaultMaxPeers = 64;
    public const int MaxMaxPeers = 1024;
    public const int DefaultIdleMilliseconds = 60_000;
    public const int MinIdleMilliseconds = 100;
    public const int MaxIdleMilliseconds = 86_400_000;

    /// <summary>The prefix of a stream address on the loopback: <c>tcp:PORT</c> or <c>tcp:127.0.0.1:PORT</c>.</summary>
    public const string TcpPrefix = "tcp:";

    /// <summary>A stream on TCP (127.0.0.1:<see cref="TcpPort"/>) rather than a Unix path.</summary>
    public bool IsTcp => TcpPort >= 0;

    /// <summary>The loopback port of a TCP stream (0: any, for a listener), -1 for a Unix path.</summary>
    public int TcpPort { get; init; } = -1;

    /// <summary>How long half a frame may stand on a stream before the connection is closed.</summary>
    public const int StallMilliseconds = 10_000;
}
