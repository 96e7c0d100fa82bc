namespace SupHost.Abi;

/// <summary>Where the switch would send a frame, from its headers alone (INTNETSWDECISION), for a trunk that asks first.</summary>
public enum SwitchDecision
{
    /// <summary>Not valid.</summary>
    Invalid = 0,

    /// <summary>Broadcast or multicast: the network's interfaces and the trunk's other end.</summary>
    Broadcast = 1,

    /// <summary>Unicast to interfaces of the network only: the trunk's other end does not need it.</summary>
    IntNet = 2,

    /// <summary>Unicast to the trunk's other end only: not for the network.</summary>
    Trunk = 3,

    /// <summary>The switch cannot decide now (it is being reconfigured): deliver the frame with <see cref="ISwitchPort.Receive"/> and let it decide.</summary>
    BadContext = 4,

    /// <summary>Nobody takes it.</summary>
    Drop = 5,
}
