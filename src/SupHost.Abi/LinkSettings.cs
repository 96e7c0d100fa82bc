namespace SupHost.Abi;

/// <summary>What <see cref="IModuleIo.ConfigureLink"/> changes on a network interface; what is null stays as it is.</summary>
public sealed class LinkSettings
{
    /// <summary>Up (true) or down (false).</summary>
    public bool? Up { get; init; }

    /// <summary>The MTU, 68 to 65535 (the device may allow less).</summary>
    public int? Mtu { get; init; }

    /// <summary>The Ethernet address: six bytes, unicast (the first byte's low bit clear).</summary>
    public ReadOnlyMemory<byte>? MacAddress { get; init; }
}
