namespace SupHost.NetAdp.Internal;

/// <summary>What an adapter is to IntNet.</summary>
internal enum AdapterRole
{
    /// <summary>On no network: what its TAP sends is dropped (counted).</summary>
    None = 0,

    /// <summary>A port of a network (kind "tap"), one of any number.</summary>
    Port = 1,

    /// <summary>The trunk host end of a network opened with trunk type NetAdp and the adapter's name.</summary>
    Trunk = 2,
}
