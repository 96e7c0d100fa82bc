namespace SupHost.Protocol;

/// <summary>
/// Every limit and magic value of the wire protocol, in one place (docs/protocol.md describes them).
/// </summary>
/// <remarks>
/// Interface version rules, as in SUPDrv's SUPDRV_IOC_VERSION: a new function or a new optional
/// field bumps the minor; any change an older client would misread bumps the major and zeroes the
/// minor. The server accepts a client whose major equals its own and whose minor is not newer.
/// </remarks>
public static class ProtocolConstants
{
    // 1.1: listings may be asked for in pages (ListingRequest, ListingPage); replies that cannot be
    // sent are answered with ReplyNotSent.

    /// <summary>Major version of the interface this assembly speaks.</summary>
    public const ushort VersionMajor = 1;

    /// <summary>Minor version of the interface this assembly speaks.</summary>
    public const ushort VersionMinor = 1;

    /// <summary>The interface version as major &lt;&lt; 16 | minor.</summary>
    public const uint Version = (VersionMajor << 16) | VersionMinor;

    /// <summary>First field of every header: "SUPH" in little-endian byte order.</summary>
    public const uint HeaderMagic = 0x48505553;

    /// <summary>Size of the fixed header in front of every request and reply.</summary>
    public const int HeaderSize = 40;

    /// <summary>The magic string the cookie request carries, NUL-padded to <see cref="CookieMagicLength"/> bytes.</summary>
    public const string CookieMagic = "SupHost cookie!";

    /// <summary>Length of the cookie request's magic field.</summary>
    public const int CookieMagicLength = 16;

    /// <summary>Default largest datagram (header included) the daemon accepts.</summary>
    public const int DefaultMaxRequestSize = 1 << 20;

    /// <summary>Smallest request size limit the configuration may set.</summary>
    public const int MinMaxRequestSize = 4096;

    /// <summary>Largest request size limit the configuration may set.</summary>
    public const int MaxMaxRequestSize = 16 << 20;

    /// <summary>Largest error message, in UTF-8 bytes, an error reply carries (longer ones are cut).</summary>
    public const int MaxMessageSize = 1024;

    /// <summary>Size of a name field (objects, factories): UTF-8, NUL-terminated within the field.</summary>
    public const int NameFieldSize = 64;

    /// <summary>The page size allocations are counted and aligned in (x86-64).</summary>
    public const int PageSize = 4096;

    /// <summary>Longest module name, in characters of [A-Za-z0-9._-].</summary>
    public const int MaxModuleNameLength = 31;

    /// <summary>Most interface ids one factory registered by a client may answer.</summary>
    public const int MaxFactoryInterfaces = 16;

    /// <summary>
    /// The most descriptors (SCM_RIGHTS) a ModuleCall or ModuleCallService request carries, and the
    /// most its reply carries (protocol 1.1). More in a request is <see cref="SupStatus.TooManyDescriptors"/>.
    /// </summary>
    public const int MaxDescriptorsPerCall = 16;

    /// <summary>Size of an interface id (a GUID) on the wire.</summary>
    public const int GuidSize = 16;

    /// <summary>Name of the full endpoint in the run directory.</summary>
    public const string FullSocketName = "supd.sock";

    /// <summary>Name of the restricted endpoint in the run directory.</summary>
    public const string RestrictedSocketName = "supdu.sock";

    /// <summary>Environment variable that overrides the run directory.</summary>
    public const string RunDirectoryVariable = "SUPHOST_RUN_DIR";

    /// <summary>
    /// The run directory when nothing names one: /run/suphost for root, $XDG_RUNTIME_DIR/suphost
    /// for anyone else, or /tmp/suphost-UID when that variable is unset. Daemon and clients agree on it.
    /// </summary>
    public static string DefaultRunDirectory(uint effectiveUserId)
    {
        if (effectiveUserId == 0)
        {
            return "/run/suphost";
        }

        string? xdg = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        return string.IsNullOrEmpty(xdg)
            ? Path.Combine(Path.GetTempPath(), $"suphost-{effectiveUserId}")
            : Path.Combine(xdg, "suphost");
    }
}
