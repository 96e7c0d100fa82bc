namespace SupHost.Protocol;

/// <summary>Flags of an object registration.</summary>
[Flags]
public enum ObjectFlags : uint
{
    /// <summary>Access follows owner, group and mode only.</summary>
    None = 0,

    /// <summary>Any session may open the object by name.</summary>
    Public = 0x1,

    /// <summary>Every flag this version defines.</summary>
    All = Public,
}
