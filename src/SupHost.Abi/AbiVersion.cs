namespace SupHost.Abi;

/// <summary>
/// The semantic version of this API. A module records the version it was built against; the
/// daemon refuses a module whose major differs from its own or whose minor is newer.
/// </summary>
public static class AbiVersion
{
    /// <summary>Incompatible changes bump the major and zero the minor.</summary>
    public const int Major = 1;

    /// <summary>Additions bump the minor.</summary>
    public const int Minor = 2;
}
