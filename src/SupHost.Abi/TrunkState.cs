namespace SupHost.Abi;

/// <summary>The state the switch puts a trunk in (INTNETTRUNKIFSTATE).</summary>
public enum TrunkState
{
    /// <summary>Not valid.</summary>
    Invalid = 0,

    /// <summary>No interface of the network is active: the trunk delivers nothing to the switch.</summary>
    Inactive = 1,

    /// <summary>At least one interface is active: the trunk delivers what it receives.</summary>
    Active = 2,

    /// <summary>The switch is disconnecting the trunk: it delivers nothing more.</summary>
    Disconnecting = 3,
}
