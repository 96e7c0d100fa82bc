using SupHost.Protocol;

namespace Supd;

/// <summary>
/// The "Supd" section of the configuration file; every key is optional. Command-line options win
/// over the environment, which wins over the file, which wins over the defaults.
/// </summary>
internal sealed class SupdSettings
{
    public const string SectionName = "Supd";

    public const string DefaultConfigFile = "/etc/suphost/supd.json";

    public string? RunDirectory { get; set; }

    public string SocketGroup { get; set; } = "suphost";

    public int MaxRequestSize { get; set; } = ProtocolConstants.DefaultMaxRequestSize;

    public int MaxSessions { get; set; } = 1024;

    public int MaxRestrictedSessions { get; set; } = 768;

    public int MaxSessionsPerUid { get; set; } = 256;

    public double HandshakeTimeoutSeconds { get; set; } = 5;

    public double CancelGraceSeconds { get; set; } = 5;

    public int MaxObjectsPerSession { get; set; } = 4096;

    public int MaxFactoriesPerSession { get; set; } = 64;

    public List<string> ModuleDirectories { get; set; } = [];

    public bool AllowLockDown { get; set; } = true;

    /// <summary>The start modules when the configuration names none: the IntNet switch and its host-only adapters (netadp holds nothing until an adapter is made).</summary>
    public static readonly string[] DefaultStartModules = ["intnet", "netadp"];

    /// <summary>Modules loaded and pinned at start (Supd:StartModules); null: <see cref="DefaultStartModules"/>, an empty list: none.</summary>
    public string[]? StartModules { get; set; }

    public int SlowCallMilliseconds { get; set; } = 1000;

    public double UnloadTimeoutSeconds { get; set; } = 10;

    public int MaxPagesPerAllocation { get; set; } = 131072;

    public long MaxPagesPerSession { get; set; } = 131072;

    public long MaxPagesTotal { get; set; } = 524288;

    public long MaxLockedPages { get; set; } = 16384;

    public long MaxPagesPerUid { get; set; } = 262144;

    public long MaxLockedPagesPerSession { get; set; } = 8192;

    public long MaxLockedPagesPerUid { get; set; } = 8192;

    public long MaxAllocationsTotal { get; set; } = 32768;

    public int MappingReserve { get; set; } = 16384;

    public bool GipForceAsync { get; set; }

    public int GipUpdateIntervalMs { get; set; } = 10;

    public long MaxDescriptorsPerSession { get; set; } = 1024;

    public long MaxDescriptorsPerUid { get; set; } = 4096;

    public int MaxDescriptorsPerModule { get; set; } = 4096;

    public int DescriptorReserve { get; set; } = 256;
}
