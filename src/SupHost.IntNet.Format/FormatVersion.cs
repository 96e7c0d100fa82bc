namespace SupHost.IntNet.Format;

/// <summary>The version of the IntNet wire format this assembly speaks.</summary>
public static class FormatVersion
{
    /// <summary>The major version: a client and the intnet module must agree on it.</summary>
    public const int Major = 1;

    /// <summary>The minor version: additions a peer of an older minor ignores.</summary>
    public const int Minor = 0;
}
